using System.Net;
using System.Text;
using GameBackend.Contracts;
using GameBackend.Server.Identity;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GameBackend.Server.Tests;

/// <summary>Finding 1 of the security issue: tokens cannot be forged with a public key, and keys rotate.</summary>
public sealed class SigningKeyTests
{
    private static readonly string KeyA = NewKey();
    private static readonly string KeyB = NewKey();

    public static TheoryData<string?, string> BadKeys => new()
    {
        { null, "is not set" },
        { "", "is not set" },
        { "too-short-key-0123456789", "at least 32 bytes" },
        { IdentityOptions.DevelopmentSigningKey, "published" },
        { "change-me-to-a-long-random-secret-shared-by-every-node", "published" },
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task Outside_development_the_server_refuses_to_start_without_a_proper_key(string? key, string reason)
    {
        // TestServer runs in the "Testing" environment, i.e. not Development.
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Identity:SigningKey"] = key,
        }));
        Assert.Contains("Identity:SigningKey", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retired_key_listed_as_previous_still_refuses_a_published_key()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Identity:SigningKey"] = KeyA,
            ["Identity:PreviousSigningKeys:0"] = IdentityOptions.DevelopmentSigningKey,
        }));
        Assert.Contains("Identity:PreviousSigningKeys:0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Development_falls_back_to_the_development_key_and_production_does_not()
    {
        var development = Configure(new IdentityOptions(), Environments.Development);
        Assert.Equal(IdentityOptions.DevelopmentSigningKey, development.Options.SigningKey);
        Assert.True(development.Result.Succeeded);

        var production = Configure(new IdentityOptions(), Environments.Production);
        Assert.Null(production.Options.SigningKey);
        Assert.True(production.Result.Failed);
    }

    [Fact]
    public void The_key_can_come_from_a_secret_file()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, KeyA + "\n");
            var (options, result) = Configure(new IdentityOptions { SigningKeyFile = file }, Environments.Production);
            Assert.True(result.Succeeded, result.FailureMessage);
            Assert.Equal(KeyA, options.SigningKey);

            var (_, missing) = Configure(new IdentityOptions { SigningKeyFile = file + ".missing" }, Environments.Production);
            Assert.Contains("Identity:SigningKeyFile", missing.FailureMessage, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_token_minted_with_the_public_development_key_is_rejected()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Identity:SigningKey"] = KeyA });
        var forged = Mint(IdentityOptions.DevelopmentSigningKey, "g-victim");
        await using var connection = server.BuildConnection(forged, WireProtocol.Json);
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync().WaitAsync(TestServer.Timeout));
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
    }

    [Fact]
    public async Task Tokens_carry_a_key_id_and_survive_a_rotation_while_the_old_key_is_listed()
    {
        string oldToken;
        await using (var before = await TestServer.StartAsync(new Dictionary<string, string?> { ["Identity:SigningKey"] = KeyA }))
        {
            var login = await before.LoginAsync();
            oldToken = login.Token;
            Assert.Equal(PlayerTokens.KeyIdOf(KeyA), new JsonWebToken(oldToken).Kid);
        }

        // Rotated: B signs, A is kept for the overlap window.
        await using (var overlap = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Identity:SigningKey"] = KeyB,
            ["Identity:PreviousSigningKeys:0"] = KeyA,
        }))
        {
            Assert.Equal(new JsonWebToken(oldToken).Subject, await PlayerIdOfAsync(overlap, oldToken));
            var fresh = await overlap.LoginAsync();
            Assert.Equal(PlayerTokens.KeyIdOf(KeyB), new JsonWebToken(fresh.Token).Kid);
        }

        // Window over: A removed, its tokens are refused.
        await using var after = await TestServer.StartAsync(new Dictionary<string, string?> { ["Identity:SigningKey"] = KeyB });
        await using var connection = after.BuildConnection(oldToken, WireProtocol.Json);
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync().WaitAsync(TestServer.Timeout));
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
    }

    private static async Task<string> PlayerIdOfAsync(TestServer server, string token)
    {
        await using var connection = server.BuildConnection(token, WireProtocol.Json);
        await connection.StartAsync().WaitAsync(TestServer.Timeout);
        var state = await connection.InvokeAsync<PlayerState>(HubMethods.GetState).WaitAsync(TestServer.Timeout);
        return state.PlayerId;
    }

    private static (IdentityOptions Options, ValidateOptionsResult Result) Configure(IdentityOptions options, string environment)
    {
        var host = new HostingEnvironment { EnvironmentName = environment };
        new IdentityOptionsSetup(host).PostConfigure(null, options);
        return (options, new IdentityOptionsValidator(host).Validate(null, options));
    }

    private static string Mint(string key, string subject) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "gamebackend",
            Audience = "gamebackend",
            Claims = new Dictionary<string, object> { ["sub"] = subject },
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });

    private static string NewKey() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
}
