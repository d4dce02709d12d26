using GameBackend.Client;
using Microsoft.AspNetCore.SignalR.Client;

namespace GameBackend.Server.Tests.Client;

public sealed class BackoffRetryPolicyTests
{
    private static readonly double[] DefaultSeconds = [0, 1, 2, 5, 10, 20, 30];

    [Fact]
    public void Without_jitter_the_default_table_is_followed_and_capped_at_thirty_seconds()
    {
        var policy = new BackoffRetryPolicy(jitter: 0);

        var delays = Enumerable.Range(0, 12).Select(i => policy.NextDelay(i).TotalSeconds).ToArray();

        Assert.Equal(DefaultSeconds, delays.Take(7));
        Assert.All(delays.Skip(7), d => Assert.Equal(30, d));
        Assert.Equal(TimeSpan.FromSeconds(30), policy.NextDelay(long.MaxValue));
    }

    [Fact]
    public void Jitter_stays_within_twenty_percent_and_never_retries_before_the_cap_allows()
    {
        var policy = new BackoffRetryPolicy(random: new Random(1234));

        for (var retry = 0; retry < 2_000; retry++)
        {
            var nominal = DefaultSeconds[Math.Min(retry, DefaultSeconds.Length - 1)];
            var actual = policy.NextDelay(retry).TotalSeconds;
            Assert.InRange(actual, nominal * 0.8, nominal * 1.2);
        }
    }

    [Fact]
    public void Jitter_spreads_clients_and_a_seed_reproduces_it()
    {
        var a = new BackoffRetryPolicy(random: new Random(42));
        var b = new BackoffRetryPolicy(random: new Random(42));
        var c = new BackoffRetryPolicy(random: new Random(43));

        var fromA = Enumerable.Range(0, 50).Select(_ => a.NextDelay(6)).ToArray();
        var fromB = Enumerable.Range(0, 50).Select(_ => b.NextDelay(6)).ToArray();
        var fromC = Enumerable.Range(0, 50).Select(_ => c.NextDelay(6)).ToArray();

        Assert.Equal(fromA, fromB);
        Assert.NotEqual(fromA, fromC);
        Assert.True(fromA.Distinct().Count() > 40, "jitter should spread the delays");
        Assert.Contains(fromA, d => d < TimeSpan.FromSeconds(27));
        Assert.Contains(fromA, d => d > TimeSpan.FromSeconds(33));
    }

    [Fact]
    public void A_zero_delay_stays_zero_and_signalr_never_gets_a_give_up()
    {
        var policy = new BackoffRetryPolicy(random: new Random(7));

        Assert.Equal(TimeSpan.Zero, policy.NextDelay(0));
        var late = policy.NextRetryDelay(new RetryContext { PreviousRetryCount = 10_000, ElapsedTime = TimeSpan.FromDays(3) });
        Assert.NotNull(late);
        Assert.InRange(late.Value.TotalSeconds, 24, 36);
    }

    [Fact]
    public void Custom_delays_are_capped_at_their_last_entry()
    {
        var policy = new BackoffRetryPolicy([TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50)], jitter: 0);

        Assert.Equal(TimeSpan.FromMilliseconds(10), policy.NextDelay(0));
        Assert.Equal(TimeSpan.FromMilliseconds(50), policy.NextDelay(1));
        Assert.Equal(TimeSpan.FromMilliseconds(50), policy.NextDelay(99));
    }

    [Fact]
    public void Invalid_settings_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new BackoffRetryPolicy([]));
        Assert.Throws<ArgumentException>(() => new BackoffRetryPolicy([TimeSpan.FromSeconds(-1)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackoffRetryPolicy(jitter: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackoffRetryPolicy(jitter: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackoffRetryPolicy().NextDelay(-1));
    }
}
