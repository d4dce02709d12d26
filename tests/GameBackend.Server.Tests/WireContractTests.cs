using System.Text.Json;
using GameBackend.Contracts;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace GameBackend.Server.Tests;

/// <summary>
/// Pins the field names on the wire for both protocols: the raw reply is read as a generic
/// map, so a renamed property or a PascalCase MessagePack key fails here.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class WireContractTests(ServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    private static readonly string[] AckFields = ["seq", "accepted", "reason", "cellId", "nearby", "nearbyVersion"];
    private static readonly string[] StateFields =
        ["playerId", "latitude", "longitude", "heading", "speed", "course", "acceleration", "cellId", "updatedAt", "seq", "strikes"];

    [Fact]
    public async Task Json_uses_camel_case_names()
    {
        await using var player = await Server.ConnectPlayerAsync(WireProtocol.Json);
        var update = new Dictionary<string, object> { ["seq"] = 1, ["timestamp"] = 0, ["latitude"] = 1.5, ["longitude"] = 2.5, ["heading"] = 10 };

        var ack = await player.Connection.InvokeAsync<JsonElement>(HubMethods.UpdateLocation, update).WaitAsync(TestServer.Timeout);
        var state = await player.Connection.InvokeAsync<JsonElement>(HubMethods.GetState).WaitAsync(TestServer.Timeout);

        Assert.Equal(AckFields, ack.EnumerateObject().Select(p => p.Name));
        Assert.True(ack.GetProperty("accepted").GetBoolean());
        Assert.Equal(StateFields, state.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Number, state.GetProperty("updatedAt").ValueKind);
        Assert.Equal(10, state.GetProperty("heading").GetDouble());
    }

    [Fact]
    public async Task MessagePack_uses_the_same_camel_case_names()
    {
        await using var player = await Server.ConnectPlayerAsync(WireProtocol.MessagePack);
        // Sent as a plain map with string keys, as the JavaScript msgpack client does.
        var update = new Dictionary<string, object> { ["seq"] = 1, ["timestamp"] = 0L, ["latitude"] = 1.5, ["longitude"] = 2.5, ["heading"] = 10.0 };

        var ack = await player.Connection.InvokeAsync<Dictionary<object, object?>>(HubMethods.UpdateLocation, update).WaitAsync(TestServer.Timeout);
        var state = await player.Connection.InvokeAsync<Dictionary<object, object?>>(HubMethods.GetState).WaitAsync(TestServer.Timeout);

        Assert.Equal(AckFields, ack.Keys.Cast<string>());
        Assert.Equal(true, ack["accepted"]);
        Assert.Equal(StateFields, state.Keys.Cast<string>());
        Assert.IsAssignableFrom<IConvertible>(state["updatedAt"]);
        Assert.Equal(10.0, Convert.ToDouble(state["heading"], System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>The domain's rejection reasons are the wire strings clients switch on.</summary>
public sealed class ReasonStringTests
{
    [Fact]
    public void Domain_reasons_equal_the_wire_reasons()
    {
        var domain = typeof(Domain.Movement.MovementValidator.Reasons).GetFields().Select(f => (string)f.GetValue(null)!).Order();
        var wire = typeof(RejectReasons).GetFields().Select(f => (string)f.GetValue(null)!).Where(r => r != RejectReasons.Malformed).Order();
        Assert.Equal(wire, domain);
    }
}
