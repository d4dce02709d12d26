using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GameBackend.Server.Identity;
using GameBackend.Server.Tests.Infrastructure;

namespace GameBackend.Server.Tests;

/// <summary>Guest accounts in PostgreSQL: ids survive a key rotation, secrets are stored hashed, old devices migrate.</summary>
public sealed class GuestAccountTests
{
    [Fact]
    public async Task Rotating_the_signing_key_keeps_every_player_id_and_the_secret_is_stored_only_hashed()
    {
        await using var database = await TestDatabase.CreateAsync("gb_accounts");
        var device = "device-" + Guid.NewGuid();
        string playerId, secret;
        await using (var before = await StartAsync(database, NewKey()))
        {
            var (_, first) = await GuestLogin.PostAsync(before, device, null);
            playerId = first.GetProperty("playerId").GetString()!;
            secret = first.GetProperty("deviceSecret").GetString()!;
        }

        await using var after = await StartAsync(database, NewKey());
        var (response, again) = await GuestLogin.PostAsync(after, device, secret);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(playerId, again.GetProperty("playerId").GetString());

        var stored = await database.ScalarAsync<byte[]>("select secret_hash from player_accounts where device_id = @d", ("d", device));
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), stored);
        Assert.Equal(0L, await database.ScalarAsync<long>(
            "select count(*) from player_accounts where position(convert_to(@s, 'UTF8') in secret_hash) > 0 or player_id = @s", ("s", secret)));
    }

    [Fact]
    public async Task A_device_from_before_stored_accounts_gets_its_old_player_id_at_its_next_login()
    {
        await using var database = await TestDatabase.CreateAsync("gb_accounts_legacy");
        var device = "old-phone-" + Guid.NewGuid();
        // The id the server used to derive from its signing key (the development key by default).
        var legacyId = "g-" + Convert.ToHexStringLower(HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(IdentityOptions.DevelopmentSigningKey), Encoding.UTF8.GetBytes("device:" + device)).AsSpan(0, 12));

        await using var server = await StartAsync(database, NewKey(), ("Identity:LegacyPlayerIdKey", IdentityOptions.DevelopmentSigningKey));
        var (_, first) = await GuestLogin.PostAsync(server, device, null);
        Assert.Equal(legacyId, first.GetProperty("playerId").GetString());
        Assert.Equal(JsonValueKind.String, first.GetProperty("deviceSecret").ValueKind);

        // Migrated: from now on the device id alone is not enough.
        var (stolen, _) = await GuestLogin.PostAsync(server, device, null);
        Assert.Equal(HttpStatusCode.Unauthorized, stolen.StatusCode);
    }

    private static Task<TestServer> StartAsync(TestDatabase database, string key, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Identity:SigningKey"] = key,
        };
        foreach (var (k, v) in extra)
        {
            settings[k] = v;
        }

        return TestServer.StartAsync(settings);
    }

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
