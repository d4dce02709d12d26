using GameBackend.Data;
using GameBackend.Data.Analytics;
using GameBackend.Data.Audit;
using GameBackend.Data.Moderation;
using GameBackend.Data.Privacy;
using GameBackend.Data.Zones;
using Npgsql;

namespace GameBackend.Server.Operators;

/// <summary>
/// The PostgreSQL stores, which exist only when <c>ConnectionStrings:Postgres</c> is set. Endpoints
/// take this (always registered) instead of the stores themselves, so a server without PostgreSQL
/// still starts and answers 503 (<see cref="RequirePostgresFilter"/>) rather than failing to bind.
/// </summary>
public sealed class GameStores(IServiceProvider services)
{
    // Built on first use (benign race: two equal instances over the same data source).
    private AuditLog? _audit;
    private ModerationStore? _moderation;

    public bool IsConfigured { get; } = services.GetService<ZoneStore>() is not null;

    public SponsorStore Sponsors => Get<SponsorStore>();

    public ZoneStore Zones => Get<ZoneStore>();

    public AnalyticsQueries Analytics => Get<AnalyticsQueries>();

    public PlayerDataStore Players => Get<PlayerDataStore>();

    public Data.Billing.BillingStore Billing => Get<Data.Billing.BillingStore>();

    /// <summary>The append-only audit trail (game time, so tests read it on their fake clock).</summary>
    public AuditLog Audit => _audit ??= new AuditLog(DataSource, services.GetRequiredService<Hosting.GameClock>().Provider);

    public ModerationStore Moderation => _moderation ??= new ModerationStore(DataSource, Audit, services.GetRequiredService<Hosting.GameClock>().Provider);

    public NpgsqlDataSource DataSource =>
        services.GetKeyedService<NpgsqlDataSource>(GameDataServiceCollectionExtensions.DataSourceKey)
        ?? throw new InvalidOperationException("PostgreSQL is not configured.");

    private T Get<T>() where T : class =>
        services.GetService<T>() ?? throw new InvalidOperationException("PostgreSQL is not configured.");
}

/// <summary>Answers 503 "requires PostgreSQL" before the handler runs when there is no database.</summary>
internal sealed class RequirePostgresFilter(GameStores stores) : IEndpointFilter, Hosting.IRequestGate
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        stores.IsConfigured ? await next(context) : RestProblems.RequiresPostgres();

    public ValueTask<IResult?> CheckAsync(HttpContext context) =>
        ValueTask.FromResult<IResult?>(stores.IsConfigured ? null : RestProblems.RequiresPostgres());
}
