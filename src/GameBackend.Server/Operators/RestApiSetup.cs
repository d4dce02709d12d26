using GameBackend.Server.Realtime;
using GameBackend.Server.Sponsors;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Operators;

/// <summary>Services behind the sponsor, operator and player-data REST APIs (docs/rest.md).</summary>
public static class RestApiSetup
{
    public static IServiceCollection AddRestApis(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OperatorOptions>().BindConfiguration(OperatorOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OperatorOptions>, OperatorOptionsValidator>();
        services.AddOptions<AnalyticsOptions>().BindConfiguration(AnalyticsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<OperatorKey>();
        services.AddSingleton<OperatorSessions>();
        services.AddSingleton<GameStores>();
        services.AddSingleton<WorldChangeNotifier>();
        services.AddSponsorBilling();

        services.AddOptions<ModerationOptions>().BindConfiguration(ModerationOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ModerationOptions>, ModerationOptionsValidator>();
        services.AddSingleton<Moderation>();
        services.AddSingleton(sp => new OperatorHubModeration(
            sp.GetRequiredService<GameStores>(), sp.GetRequiredService<Moderation>(), sp.GetRequiredService<IPlayerStrikes>(),
            sp.GetRequiredService<Hosting.AnalyticsGate>(), sp.GetRequiredService<ILogger<OperatorHubModeration>>()));
        services.AddSingleton<RemovalRequestLimiter>();
        services.AddSingleton<IPlayerStrikes, StoredPlayerStrikes>();
        services.AddSingleton<BanList>();
        services.AddHostedService(sp => sp.GetRequiredService<BanList>());
        // A global hub filter (per-hub options are replaced by a copy of the global ones when SignalR
        // sets them up); BanList itself acts only on the game hub. It is the singleton that tracks connections.
        services.Configure<HubOptions>(hub => hub.AddFilter<BanList>());

        // Gates run before an endpoint binds its body (Hosting/RequestLimits).
        services.AddSingleton<RequirePostgresFilter>();
        services.AddSingleton<OperatorKeyFilter>();
        services.AddSingleton<SponsorKeyFilter>();
        return services;
    }
}
