using GameBackend.BaselineHub;
using GameBackend.Contracts;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Tests;

/// <summary>Raw frames against the real SignalR hub (Kestrel on 127.0.0.1:0), for both protocols.</summary>
public sealed class ProtocolTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static TheoryData<HubProtocol> Protocols => new() { HubProtocol.Json, HubProtocol.MessagePack };

    [Theory]
    [MemberData(nameof(Protocols))]
    public void Hand_written_location_encoder_matches_the_contract(HubProtocol protocol)
    {
        var fix = new LocationFix(1_700_000_000_000_000, 1_700_000_000_123, 52.520_123_4, 13.404_987_6, 4.5, 359.9, 1.42, 0.1, -0.12, 0.31, 9.79);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();

        GamePayloads.WriteLocationUpdate(protocol, buffer, fix);

        Assert.Equal(fix.ToContract(), GamePayloads.Decode<LocationUpdate>(protocol, buffer.WrittenMemory.ToArray()));
        if (protocol == HubProtocol.MessagePack)
        {
            // String keys, camelCase: the map decodes with the same names JSON uses.
            var json = MessagePack.MessagePackSerializer.ConvertToJson(buffer.WrittenMemory);
            Assert.StartsWith("{\"seq\":1700000000000000,\"timestamp\":1700000000123,\"latitude\":", json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Varint_length_prefix_round_trips()
    {
        Span<byte> buffer = stackalloc byte[5];
        foreach (var value in new[] { 0, 1, 127, 128, 300, 16_383, 16_384, 2_097_151, int.MaxValue })
        {
            var written = HubFrames.WriteVarInt(buffer, value);
            Assert.True(HubFrames.TryReadVarInt(buffer[..written], out var read, out var consumed));
            Assert.Equal((value, written), (read, consumed));
            Assert.False(written > 1 && HubFrames.TryReadVarInt(buffer[..(written - 1)], out _, out _));
        }
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task Update_location_round_trips_with_camel_case_fields(HubProtocol protocol)
    {
        await using var server = await BaselineServer.StartAsync().WaitAsync(Timeout);
        using var cts = new CancellationTokenSource(Timeout);
        var login = await GameApi.LoginAsync(server.Address, "device-1", "Walker", cts.Token);
        Assert.Equal("device-1", login.PlayerId);

        await using var connection = await RawHubConnection.ConnectAsync(server.HubUrl, login.Token, protocol, cts.Token);
        var fix = new LocationFix(7, 1_700_000_000_000, 52.52, 13.405, 5, 90, 1.4, 91, 0.1, 0.2, 9.81);
        var buffer = GamePayloads.ScratchBuffer;

        // The hand-written encoder and the contract serializers produce payloads the hub reads identically.
        GamePayloads.WriteLocationUpdate(protocol, buffer, fix);
        var completion = await connection.InvokeAsync(HubMethods.UpdateLocation, buffer.WrittenSpan, cancellationToken: cts.Token);
        var viaContract = await connection.InvokeAsync(HubMethods.UpdateLocation, GamePayloads.Encode(protocol, fix.ToContract() with { Seq = 8 }), cancellationToken: cts.Token);

        Assert.False(completion.IsError, completion.Error);
        Assert.True(completion.HasResult);
        var ack = GamePayloads.Decode<LocationAck>(protocol, completion.Result);
        Assert.Equal(7, ack.Seq);
        Assert.True(ack.Accepted);
        Assert.Equal((true, null), GamePayloads.ReadAck(protocol, completion.Result));
        Assert.Equal(8, GamePayloads.Decode<LocationAck>(protocol, viaContract.Result).Seq);

        var raw = System.Text.Encoding.UTF8.GetString(completion.Result.Span);
        Assert.Contains("accepted", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("Accepted", raw, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task Events_errors_and_concurrent_invocations_are_matched(HubProtocol protocol)
    {
        await using var server = await BaselineServer.StartAsync().WaitAsync(Timeout);
        using var cts = new CancellationTokenSource(Timeout);
        await using var connection = await RawHubConnection.ConnectAsync(server.HubUrl, "baseline", protocol, cts.Token, skipNegotiation: protocol == HubProtocol.MessagePack);

        var echoed = new TaskCompletionSource<LocationUpdate>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.OnEvent = (target, args) =>
        {
            if (target == "echo")
            {
                echoed.TrySetResult(GamePayloads.DecodeEventArgument<LocationUpdate>(protocol, args));
            }
        };

        var update = new LocationUpdate { Seq = 3, Latitude = 52.5, Longitude = 13.4, Heading = 10 };
        var echo = await connection.InvokeAsync("Echo", GamePayloads.Encode(protocol, update), cancellationToken: cts.Token);
        Assert.False(echo.IsError, echo.Error);
        Assert.Equal(update, await echoed.Task.WaitAsync(cts.Token));

        var missing = await connection.InvokeAsync("NoSuchMethod", default, 0, cts.Token);
        Assert.True(missing.IsError);

        var capture = await connection.InvokeAsync(HubMethods.TryCapture, GamePayloads.Encode(protocol, new CaptureRequest { CreatureId = "c1", AttemptId = "a1" }), cancellationToken: cts.Token);
        Assert.Equal(CaptureOutcomes.NotFound, GamePayloads.Decode<CaptureResult>(protocol, capture.Result).Outcome);

        // Many invocations in flight on one connection: each completion reaches its own caller.
        var tasks = Enumerable.Range(100, 200).Select(seq =>
        {
            GamePayloads.WriteLocationUpdate(protocol, GamePayloads.ScratchBuffer, new LocationFix(seq, 0, 1, 2, 3, 4, 5, 6, 0, 0, 9.8));
            return connection.InvokeAsync(HubMethods.UpdateLocation, GamePayloads.ScratchBuffer.WrittenSpan, cancellationToken: cts.Token);
        }).ToArray();
        var acks = await Task.WhenAll(tasks).WaitAsync(cts.Token);
        Assert.Equal(Enumerable.Range(100, 200).Select(i => (long)i), acks.Select(a => GamePayloads.Decode<LocationAck>(protocol, a.Result).Seq));
        Assert.Equal(0, connection.PendingInvocations);
    }
}
