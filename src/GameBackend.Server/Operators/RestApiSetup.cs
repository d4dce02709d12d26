using GameBackend.Server.Sponsors;
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
        // Gates run before an endpoint binds its body (Hosting/RequestLimits).
        services.AddSingleton<RequirePostgresFilter>();
        services.AddSingleton<OperatorKeyFilter>();
        services.AddSingleton<SponsorKeyFilter>();
        return services;
    }
}
