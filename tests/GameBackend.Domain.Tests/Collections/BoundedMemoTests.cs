using GameBackend.Domain.Collections;

namespace GameBackend.Domain.Tests.Collections;

public sealed class BoundedMemoTests
{
    [Fact]
    public void The_first_answer_for_a_key_is_kept()
    {
        var memo = new BoundedMemo<string>(4);
        Assert.True(memo.TryRemember("a", "first"));
        Assert.False(memo.TryRemember("a", "second"));
        Assert.True(memo.TryGet("a", out var value));
        Assert.Equal("first", value);
    }

    [Fact]
    public void The_oldest_key_is_forgotten_beyond_the_capacity()
    {
        var memo = new BoundedMemo<int>(3);
        for (var i = 0; i < 5; i++)
        {
            memo.TryRemember("k" + i, i);
        }

        Assert.Equal(3, memo.Count);
        Assert.False(memo.TryGet("k0", out _));
        Assert.False(memo.TryGet("k1", out _));
        Assert.True(memo.TryGet("k2", out var kept));
        Assert.Equal(2, kept);
        Assert.True(memo.TryGet("k4", out _));
    }

    [Fact]
    public void A_repeated_key_does_not_push_out_an_older_one()
    {
        var memo = new BoundedMemo<int>(2);
        memo.TryRemember("a", 1);
        memo.TryRemember("b", 2);
        memo.TryRemember("b", 3);
        Assert.True(memo.TryGet("a", out _));
        Assert.True(memo.TryGet("b", out var b));
        Assert.Equal(2, b);
    }

    [Fact]
    public void A_capacity_below_one_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new BoundedMemo<int>(0));
}
