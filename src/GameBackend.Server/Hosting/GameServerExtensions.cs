using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GameBackend.Domain.Cells;
using GameBackend.Server.Cells;
using GameBackend.Server.Health;
using GameBackend.Server.Identity;
using GameBackend.Server.Operators;
using GameBackend.Server.Players;
using GameBackend.Server.Realtime;
using GameBackend.Server.Spawning;
using GameBackend.Server.Telemetry;
using GameBackend.Server.Sponsors;
using MessagePack;
using MessagePack.Resolvers;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace GameBackend.Server.Hosting;

/// <summary>The composition root, kept out of Program.cs so tests build the same server.</summary>
public static class GameServerExtensions
{
    public static WebApplicationBuilder AddGameServer(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<WorldOptions>().BindConfiguration(WorldOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MovementOptions>().BindConfiguration(MovementOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TransportOptions>().BindConfiguration(TransportOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ClusterOptions>().BindConfiguration(ClusterOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.Section).ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<IdentityOptions>, IdentityOptionsSetup>();
        services.AddSingleton<IValidateOptions<IdentityOptions>, IdentityOptionsValidator>();
        services.AddSingleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>();

        services.TryAddSingleton(TimeProvider.System);
        if (!services.Any(d => d.ServiceType == typeof(GameClock)))
        {
            services.AddSingleton(new GameClock(TimeProvider.System));
        }

        services.AddOptions<SpawnOptions>().BindConfiguration(SpawnOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CaptureOptions>().BindConfiguration(CaptureOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(CatalogSetup.Load);
        services.AddSingleton(CatalogSetup.AmbientRules);
        services.AddSingleton(sp =>
        {
            var capture = sp.GetRequiredService<IOptions<CaptureOptions>>().Value;
            return new Domain.Capture.CaptureRules(
                new Domain.Capture.CaptureOptions { EncounterRangeMeters = capture.EncounterRangeMeters, StrikeThreshold = capture.StrikeLimit },
                sp.GetRequiredService<Domain.Spawning.SpeciesCatalog>());
        });
        services.AddSingleton<IWorldChanges, WorldChanges>();
        services.AddSingleton(sp => new CellGrid(sp.GetRequiredService<IOptions<WorldOptions>>().Value.CellSizeMeters));

        builder.AddGameData();

        // After the data layer, whose start-up migrates the schema the zone cache reads.
        services.AddSingleton<WorldCache>();
        services.AddHostedService(sp => sp.GetRequiredService<WorldCache>());
        builder.AddGameOrleans();
        services.AddGameIdentity(builder.Configuration);
        services.AddWebPages();
        services.AddGameRealtime(builder.Configuration);
        services.AddRestApis(builder.Configuration);
        services.AddRequestLimits();
        Demo.DemoWorldSetup.AddGameDemo(services, builder.Configuration);
        services.AddProblemDetails();
        services.AddOpenApi();
        var health = services.AddHealthChecks()
            .AddCheck<SiloHealthCheck>("orleans-silo", tags: ["ready"]);
        if (builder.Configuration.GetValue(ClusterOptions.Section + ":Mode", ClusterMode.Localhost) == ClusterMode.Redis)
        {
            services.AddSingleton<RedisHealthCheck>();
            health.AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
        }
        services.AddHostedService<StartupReport>();
        services.AddGameTelemetry(builder.Configuration);
        services.AddSingleton<LiveMap>();
        services.AddHostedService<LiveMapBroadcaster>();
        services.AddSingleton<ConnectionDrain>();
        // A hub method that fails is logged once, by HubErrorFilter (event 3100, unexpected
        // failures only). SignalR's dispatcher would log every error answer again at Error with the
        // stack trace, including the ones hostile input earns (a stream item of the wrong type, a
        // stream over the cap): a client could fill the log at will.
        builder.Logging.AddFilter("Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher", LogLevel.Critical);
        services.AddSingleton<ConnectionLimit>();
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>().Configure<ConnectionLimit>(ConnectionLimit.ConfigureKestrel);
        services.AddHostedService(sp => sp.GetRequiredService<ConnectionDrain>());
        return builder;
    }

    public static WebApplication MapGameServer(this WebApplication app)
    {
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseHubConnectionLimit(Contracts.HubMethods.Path);
        app.UseAuthentication();
        app.UseHubConnectionQuotas(Contracts.HubMethods.Path);
        app.UseAuthorization();
        app.UseRequestLimits(Contracts.HubMethods.Path);

        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.MapOpenApi();
        app.MapWebConfig();
        app.MapIdentityApi();
        app.MapSpeciesApi();
        app.MapSponsorApi();
        app.MapOperatorApi();
        app.MapPlayerDataApi();
        // MapHub, spelled out so that connection liveness can watch the transport beneath the hub.
        var transport = app.Services.GetRequiredService<IOptions<TransportOptions>>().Value;
        var liveness = app.Services.GetRequiredService<ConnectionLiveness>();
        app.MapConnections(Contracts.HubMethods.Path, new Microsoft.AspNetCore.Http.Connections.HttpConnectionDispatcherOptions
        {
            ApplicationMaxBufferSize = transport.MaxMessageBytes,
            TransportMaxBufferSize = transport.MaxOutgoingBufferBytes,
            CloseOnAuthenticationExpiration = true,
        }, connection => connection.Use(liveness.Watch).UseHub<GameHub>())
            .WithMetadata(new HubMetadata(typeof(GameHub)))
            .RequireAuthorization();
        app.MapHub<OperatorHub>(OperatorHub.Path);
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains("ready"),
            ResponseWriter = ReadinessReport.WriteAsync,
        });
        return app;
    }

    private static void AddGameIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<PlayerTokens>();
        services.AddGuestAccounts();
        services.AddSingleton<IUserIdProvider, PlayerUserIdProvider>();
        services.AddAuthorization(options => options.AddPolicy(
            OperatorKeyAuthenticationHandler.Policy,
            policy => policy.AddAuthenticationSchemes(OperatorKeyAuthenticationHandler.SchemeName).RequireRole(OperatorKeyAuthenticationHandler.Policy)));
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer()
            .AddScheme<AuthenticationSchemeOptions, OperatorKeyAuthenticationHandler>(OperatorKeyAuthenticationHandler.SchemeName, configureOptions: null);
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<IdentityOptions>, PlayerTokens>((jwt, identityOptions, tokens) =>
            {
                var identity = identityOptions.Value;
                var external = identity.External;
                jwt.MapInboundClaims = false;
                jwt.RequireHttpsMetadata = false;
                var issuers = new List<string> { identity.Issuer };
                var audiences = new List<string> { identity.Audience };
                var keys = new List<SecurityKey>(tokens.ValidationKeys);
                if (external.IsConfigured)
                {
                    jwt.Authority = string.IsNullOrWhiteSpace(external.Authority) ? null : external.Authority;
                    if (!string.IsNullOrWhiteSpace(external.Issuer))
                    {
                        issuers.Add(external.Issuer);
                    }

                    if (!string.IsNullOrWhiteSpace(external.SigningKey))
                    {
                        keys.Add(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(external.SigningKey)));
                    }

                    audiences.Add(external.Audience!);
                }

                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuers = issuers,
                    ValidAudiences = audiences,
                    IssuerSigningKeys = keys,
                    ValidateLifetime = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = "name",
                };

                // Browsers and the SignalR clients cannot set headers on WebSockets, so the hub also
                // takes the token from the access_token query parameter (only on the hub path).
                jwt.Events = new JwtBearerEvents
                {
                    OnMessageReceived = context =>
                    {
                        var token = context.Request.Query["access_token"];
                        if (!string.IsNullOrEmpty(token) && context.HttpContext.Request.Path.StartsWithSegments(Contracts.HubMethods.Path))
                        {
                            context.Token = token;
                        }

                        return Task.CompletedTask;
                    },
                };
            });
    }

    private static void AddGameRealtime(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ICellBroadcast, CellGroups>();
        services.AddSingleton<CellReplicas>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<CellReplicas>());
        var signalR = services.AddSignalR(o =>
            {
                o.AddFilter<HubErrorFilter>();
                o.AddFilter<HubGuard>();
                o.EnableDetailedErrors = false;
                o.StreamBufferCapacity = 16;
            })
            .AddJsonProtocol(o =>
            {
                o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
                // "NaN"/"Infinity" literals are accepted so they reach validation and get a clear
                // notFinite reason instead of an opaque binding error.
                o.PayloadSerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
            })
            .AddMessagePackProtocol(o =>
            {
                // Hostile-input hardening: depth limits and collision-resistant hashing.
                o.SerializerOptions = MessagePackSerializerOptions.Standard
                    .WithResolver(StandardResolver.Instance)
                    .WithSecurity(MessagePackSecurity.UntrustedData);
            });
        services.AddSingleton<HubErrorFilter>();
        services.AddSingleton<HubGuard>();
        services.AddSingleton<ConnectionQuotas>();
        services.TryAddKeyedSingleton(ConnectionLiveness.ClockKey, static (sp, _) => sp.GetRequiredService<TimeProvider>());
        services.AddSingleton<ConnectionLiveness>();
        services.AddHostedService(sp => sp.GetRequiredService<ConnectionLiveness>());
        services.AddOptions<HubOptions>().Configure<IOptions<TransportOptions>>((hub, transport) =>
        {
            hub.MaximumReceiveMessageSize = transport.Value.MaxMessageBytes;
            // Fixes queue per connection (ConnectionSession) and take at most MaxQueuedUpdates slots;
            // the other four keep throws, queries and a StreamLocation going beside a burst.
            hub.MaximumParallelInvocationsPerClient = transport.Value.MaxQueuedUpdates + 4;
            hub.KeepAliveInterval = transport.Value.KeepAliveInterval;
            hub.ClientTimeoutInterval = transport.Value.ClientTimeout;
        });

        var redis = configuration.GetConnectionString("Redis");
        var mode = configuration.GetValue(ClusterOptions.Section + ":Mode", ClusterMode.Localhost);
        if (mode == ClusterMode.Redis && !string.IsNullOrWhiteSpace(redis))
        {
            signalR.AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal("gamebackend"));
        }
    }
}
