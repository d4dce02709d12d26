using System.Net;
using GameBackend.Contracts;
using GameBackend.Domain.Cells;
using GameBackend.Domain.Geo;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace GameBackend.Server.Tests;

/// <summary>The realtime core end to end, once over JSON and once over MessagePack.</summary>
[Collection(ServerCollection.Name)]
public sealed class RealtimeCoreTests(ServerFixture fixture)
{
    private static readonly CellGrid Grid = new(200);
    private TestServer Server => fixture.Server;
    private long Now => Server.Time.GetUtcNow().ToUnixTimeMilliseconds();

    public static TheoryData<WireProtocol> Protocols => [WireProtocol.Json, WireProtocol.MessagePack];

    [Theory, MemberData(nameof(Protocols))]
    public async Task Accepted_update_moves_the_player_and_reports_its_cell(WireProtocol protocol)
    {
        await using var player = await Server.ConnectPlayerAsync(protocol);
        var update = new LocationUpdate
        {
            Seq = player.NextSeq(),
            Timestamp = Now - 150,
            Latitude = 52.520008,
            Longitude = 13.404954,
            Accuracy = 4.5,
            Heading = 87.5,
            Speed = 1.4,
            Course = 90,
            Acceleration = new Acceleration { X = 0.1, Y = -0.2, Z = 9.81 },
        };

        var ack = await player.UpdateAsync(update);

        Assert.True(ack.Accepted, ack.Reason);
        Assert.Null(ack.Reason);
        Assert.Equal(update.Seq, ack.Seq);
        Assert.Equal(Grid.CellOf(new GeoPoint(52.520008, 13.404954)).ToString(), ack.CellId);
        Assert.NotNull(ack.Nearby);

        var state = await player.GetStateAsync();
        Assert.Equal(player.PlayerId, state.PlayerId);
        Assert.Equal(52.520008, state.Latitude);
        Assert.Equal(13.404954, state.Longitude);
        Assert.Equal(87.5, state.Heading);
        Assert.Equal(1.4, state.Speed);
        Assert.Equal(90, state.Course);
        Assert.Equal(new Acceleration { X = 0.1, Y = -0.2, Z = 9.81 }, state.Acceleration);
        Assert.Equal(ack.CellId, state.CellId);
        Assert.Equal(Now, state.UpdatedAt);
        Assert.Equal(update.Seq, state.Seq);
        Assert.Equal(0, state.Strikes);
    }

    [Theory, MemberData(nameof(Protocols))]
    public async Task Crossing_a_cell_boundary_moves_the_player_between_cell_grains(WireProtocol protocol)
    {
        await using var player = await Server.ConnectPlayerAsync(protocol);
        var start = new GeoPoint(48.8566, 2.3522);
        var startCell = Grid.CellOf(start);
        var first = await player.MoveToAsync(start.Latitude, start.Longitude, Now);
        Assert.Equal(startCell.ToString(), first.CellId);

        var grains = Server.Services.GetRequiredService<IGrainFactory>();
        var before = await grains.GetGrain<Cells.ICellGrain>(startCell.ToString()).GetSnapshot();
        Assert.Contains(player.PlayerId, before.PresentPlayers);

        // 300 m due east is always in another 200 m cell; 10 s of game time makes it a plausible walk.
        Server.Time.Advance(TimeSpan.FromSeconds(10));
        var next = GeoMath.Destination(start, 90, 300);
        var second = await player.MoveToAsync(next.Latitude, next.Longitude, Now);
        Assert.True(second.Accepted, second.Reason);
        var nextCell = Grid.CellOf(next);
        Assert.NotEqual(startCell, nextCell);
        Assert.Equal(nextCell.ToString(), second.CellId);

        var left = await grains.GetGrain<Cells.ICellGrain>(startCell.ToString()).GetSnapshot();
        var entered = await grains.GetGrain<Cells.ICellGrain>(nextCell.ToString()).GetSnapshot();
        Assert.DoesNotContain(player.PlayerId, left.PresentPlayers);
        Assert.Contains(player.PlayerId, entered.PresentPlayers);
    }

    public static TheoryData<WireProtocol, string, LocationUpdate> BadUpdates()
    {
        var data = new TheoryData<WireProtocol, string, LocationUpdate>();
        var ok = new LocationUpdate { Latitude = 10, Longitude = 10 };
        (string Reason, LocationUpdate Update)[] cases =
        [
            (RejectReasons.NotFinite, ok with { Latitude = double.NaN }),
            (RejectReasons.NotFinite, ok with { Longitude = double.PositiveInfinity }),
            (RejectReasons.NotFinite, ok with { Speed = double.NaN }),
            (RejectReasons.NotFinite, ok with { Heading = double.NegativeInfinity }),
            (RejectReasons.NotFinite, ok with { Acceleration = new Acceleration { X = double.NaN } }),
            (RejectReasons.LatitudeOutOfRange, ok with { Latitude = 90.0001 }),
            (RejectReasons.LatitudeOutOfRange, ok with { Latitude = -91 }),
            (RejectReasons.LongitudeOutOfRange, ok with { Longitude = 180.5 }),
            (RejectReasons.LongitudeOutOfRange, ok with { Longitude = -181 }),
            (RejectReasons.HeadingOutOfRange, ok with { Heading = 360 }),
            (RejectReasons.HeadingOutOfRange, ok with { Heading = -0.5 }),
            (RejectReasons.CourseOutOfRange, ok with { Course = 400 }),
            (RejectReasons.NegativeSpeed, ok with { Speed = -1 }),
            (RejectReasons.NegativeAccuracy, ok with { Accuracy = -3 }),
        ];
        foreach (var protocol in new[] { WireProtocol.Json, WireProtocol.MessagePack })
        {
            foreach (var (reason, update) in cases)
            {
                data.Add(protocol, reason, update);
            }
        }

        return data;
    }

    [Theory, MemberData(nameof(BadUpdates))]
    public async Task Bad_input_is_rejected_with_a_reason_and_changes_nothing(WireProtocol protocol, string reason, LocationUpdate bad)
    {
        await using var player = await Server.ConnectPlayerAsync(protocol);
        var good = await player.MoveToAsync(10.001, 10.001, Now);
        Assert.True(good.Accepted);
        var before = await player.GetStateAsync();

        Server.Time.Advance(TimeSpan.FromSeconds(1));
        var ack = await player.UpdateAsync(bad with { Seq = player.NextSeq(), Timestamp = Now });

        Assert.False(ack.Accepted);
        Assert.Equal(reason, ack.Reason);
        Assert.Equal(before, await player.GetStateAsync());
    }

    [Theory, MemberData(nameof(Protocols))]
    public async Task Future_timestamps_and_stale_or_duplicate_sequences_are_rejected(WireProtocol protocol)
    {
        await using var player = await Server.ConnectPlayerAsync(protocol);
        var first = new LocationUpdate { Seq = 10, Timestamp = Now, Latitude = 1, Longitude = 1 };
        Assert.True((await player.UpdateAsync(first)).Accepted);
        var before = await player.GetStateAsync();

        Server.Time.Advance(TimeSpan.FromSeconds(1));
        var future = await player.UpdateAsync(first with { Seq = 11, Timestamp = Now + (long)TimeSpan.FromMinutes(5).TotalMilliseconds });
        var duplicate = await player.UpdateAsync(first with { Timestamp = Now, Latitude = 1.0001 });
        var reordered = await player.UpdateAsync(first with { Seq = 9, Timestamp = Now, Latitude = 1.0001 });

        Assert.Equal(RejectReasons.TimestampInFuture, future.Reason);
        Assert.Equal(RejectReasons.StaleSequence, duplicate.Reason);
        Assert.Equal(RejectReasons.StaleSequence, reordered.Reason);
        Assert.Equal(before, await player.GetStateAsync());

        // Seq 11 was never accepted, so it is still usable: the stream carries on after rejections.
        var next = await player.UpdateAsync(first with { Seq = 11, Timestamp = Now, Latitude = 1.0001 });
        Assert.True(next.Accepted, next.Reason);
    }

    [Theory, MemberData(nameof(Protocols))]
    public async Task Implausible_speed_is_rejected_and_adds_a_strike(WireProtocol protocol)
    {
        await using var player = await Server.ConnectPlayerAsync(protocol);
        Assert.True((await player.MoveToAsync(40.0, -74.0, Now)).Accepted);
        Server.Time.Advance(TimeSpan.FromSeconds(10));

        // 10 km in 10 s is 1,000 m/s.
        var jump = GeoMath.Destination(new GeoPoint(40.0, -74.0), 45, 10_000);
        var ack = await player.MoveToAsync(jump.Latitude, jump.Longitude, Now);

        Assert.False(ack.Accepted);
        Assert.Equal(RejectReasons.ImplausibleSpeed, ack.Reason);
        var state = await player.GetStateAsync();
        Assert.Equal(1, state.Strikes);
        Assert.Equal(40.0, state.Latitude);

        // A walk from where the server last saw the player is still fine.
        Server.Time.Advance(TimeSpan.FromSeconds(10));
        var walk = GeoMath.Destination(new GeoPoint(40.0, -74.0), 45, 14);
        Assert.True((await player.MoveToAsync(walk.Latitude, walk.Longitude, Now)).Accepted);
    }

    [Theory, MemberData(nameof(Protocols))]
    public async Task Updates_beyond_the_rate_limit_are_rejected_and_the_connection_stays_open(WireProtocol protocol)
    {
        await using var player = await Server.ConnectPlayerAsync(protocol);
        var acks = new List<LocationAck>();
        for (var i = 0; i < 12; i++)
        {
            // Game time is frozen: all twelve arrive within the same instant.
            acks.Add(await player.MoveToAsync(5, 5, Now));
        }

        Assert.All(acks.Take(10), a => Assert.True(a.Accepted, a.Reason));
        Assert.All(acks.Skip(10), a => Assert.Equal(RejectReasons.RateLimited, a.Reason));
        Assert.Equal(HubConnectionState.Connected, player.Connection.State);

        Server.Time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.True((await player.MoveToAsync(5, 5, Now)).Accepted);
    }

    [Theory, MemberData(nameof(Protocols))]
    public async Task A_token_moves_only_its_own_player(WireProtocol protocol)
    {
        await using var alice = await Server.ConnectPlayerAsync(protocol);
        await using var bob = await Server.ConnectPlayerAsync(protocol);
        Assert.True((await alice.MoveToAsync(30, 30, Now)).Accepted);
        var aliceBefore = await alice.GetStateAsync();

        // Bob's connection can only ever address Bob: there is no player id in any message.
        Assert.True((await bob.MoveToAsync(31, 31, Now)).Accepted);

        Assert.Equal(aliceBefore, await alice.GetStateAsync());
        var bobState = await bob.GetStateAsync();
        Assert.Equal(bob.PlayerId, bobState.PlayerId);
        Assert.NotEqual(alice.PlayerId, bob.PlayerId);
    }

    [Theory, MemberData(nameof(Protocols))]
    public async Task Streamed_updates_are_applied_and_rejections_are_reported(WireProtocol protocol)
    {
        await using var player = await Server.ConnectPlayerAsync(protocol);
        var rejected = new TaskCompletionSource<LocationRejected>(TaskCreationOptions.RunContinuationsAsynchronously);
        player.Connection.On<LocationRejected>(GameEvents.LocationRejected, r => rejected.TrySetResult(r));

        var channel = System.Threading.Channels.Channel.CreateUnbounded<LocationUpdate>();
        await player.Connection.SendAsync(HubMethods.StreamLocation, channel.Reader).WaitAsync(TestServer.Timeout);
        await channel.Writer.WriteAsync(new LocationUpdate { Seq = 1, Timestamp = Now, Latitude = 20, Longitude = 20, Heading = 10 });
        await channel.Writer.WriteAsync(new LocationUpdate { Seq = 2, Timestamp = Now, Latitude = 95, Longitude = 20 });
        await channel.Writer.WriteAsync(new LocationUpdate { Seq = 3, Timestamp = Now, Latitude = 20.0001, Longitude = 20, Heading = 30 });
        channel.Writer.Complete();

        var rejection = await rejected.Task.WaitAsync(TestServer.Timeout);
        Assert.Equal(2, rejection.Seq);
        Assert.Equal(RejectReasons.LatitudeOutOfRange, rejection.Reason);

        var state = await Eventually(player.GetStateAsync, s => s.Seq == 3);
        Assert.Equal(20.0001, state.Latitude);
        Assert.Equal(30, state.Heading);
    }

    [Theory, MemberData(nameof(Protocols))]
    public async Task Unknown_methods_and_wrong_argument_types_get_an_error_and_the_connection_survives(WireProtocol protocol)
    {
        await using var player = await Server.ConnectPlayerAsync(protocol);

        var unknown = await Assert.ThrowsAsync<HubException>(() => player.Connection.InvokeAsync<object>("NoSuchMethod").WaitAsync(TestServer.Timeout));
        Assert.Contains("NoSuchMethod", unknown.Message);
        var wrongType = await Assert.ThrowsAsync<HubException>(
            () => player.Connection.InvokeAsync<LocationAck>(HubMethods.UpdateLocation, "not a location").WaitAsync(TestServer.Timeout));
        Assert.Contains("UpdateLocation", wrongType.Message);
        var missing = await player.Connection.InvokeAsync<LocationAck>(HubMethods.UpdateLocation, (object?)null).WaitAsync(TestServer.Timeout);
        Assert.Equal(RejectReasons.Malformed, missing.Reason);

        Assert.Equal(HubConnectionState.Connected, player.Connection.State);
        Assert.True((await player.MoveToAsync(1, 2, Now)).Accepted);
    }

    [Theory, MemberData(nameof(Protocols))]
    public async Task A_message_over_the_size_limit_closes_only_that_connection_and_changes_nothing(WireProtocol protocol)
    {
        await using var victim = await Server.ConnectPlayerAsync(protocol);
        await using var bystander = await Server.ConnectPlayerAsync(protocol);
        Assert.True((await victim.MoveToAsync(3, 3, Now)).Accepted);
        var before = await victim.GetStateAsync();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        victim.Connection.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; };

        var oversized = new { seq = 99, timestamp = Now, latitude = 4.0, longitude = 4.0, padding = new string('x', 64 * 1024) };
        await Assert.ThrowsAnyAsync<Exception>(() => victim.Connection.InvokeAsync<LocationAck>(HubMethods.UpdateLocation, oversized).WaitAsync(TestServer.Timeout));
        var error = await closed.Task.WaitAsync(TestServer.Timeout);
        Assert.NotNull(error);

        Assert.True((await bystander.MoveToAsync(6, 6, Now)).Accepted);
        var reconnected = Server.BuildConnection(victim.Token, protocol);
        await reconnected.StartAsync().WaitAsync(TestServer.Timeout);
        Assert.Equal(before, await reconnected.InvokeAsync<PlayerState>(HubMethods.GetState).WaitAsync(TestServer.Timeout));
        await reconnected.DisposeAsync();
    }

    [Theory, MemberData(nameof(Protocols))]
    public async Task Connecting_without_a_valid_token_is_refused(WireProtocol protocol)
    {
        await using var noToken = Server.BuildConnection(null, protocol);
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => noToken.StartAsync().WaitAsync(TestServer.Timeout));
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);

        var login = await Server.LoginAsync();
        var tampered = login.Token[..^4] + (login.Token[^4..] == "AAAA" ? "BBBB" : "AAAA");
        await using var forged = Server.BuildConnection(tampered, protocol);
        var forgedEx = await Assert.ThrowsAsync<HttpRequestException>(() => forged.StartAsync().WaitAsync(TestServer.Timeout));
        Assert.Equal(HttpStatusCode.Unauthorized, forgedEx.StatusCode);
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            await Task.Delay(20, cts.Token);
        }
    }
}
