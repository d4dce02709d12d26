using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.RateLimiting;
using GameBackend.Server.Identity;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Hosting;

/// <summary>Which body budget of <see cref="LimitsOptions"/> an endpoint gets.</summary>
public enum BodyKind
{
    /// <summary><see cref="LimitsOptions.MaxRequestBodyBytes"/>.</summary>
    Small,

    /// <summary><see cref="LimitsOptions.MaxLoginBodyBytes"/>.</summary>
    Login,

    /// <summary><see cref="LimitsOptions.MaxZoneBodyBytes"/>.</summary>
    Zone,
}

/// <summary>Endpoint metadata: the endpoint takes a JSON body of this kind (checked before binding).</summary>
public sealed record JsonBodyMetadata(BodyKind Kind);

/// <summary>A check that must pass before an endpoint binds its body (keys, required services).</summary>
public interface IRequestGate
{
    /// <summary>Null to admit the request, else the answer that refuses it.</summary>
    ValueTask<IResult?> CheckAsync(HttpContext context);
}

/// <summary>Endpoint metadata naming a gate (a singleton service) to run before binding.</summary>
public sealed record RequestGateMetadata(Type GateType);

/// <summary>
/// The REST side of issue 12, findings 4 and 7: rate limits (ASP.NET Core's limiter), bounded
/// bodies, gates before binding, and a 400 problem for every malformed body.
/// Order matters and is fixed by <see cref="UseRequestLimits"/>: authentication, the rate limiter,
/// the body size bound, gates (keys), then the JSON check; the endpoint binds only after all of them,
/// so an unauthenticated or oversized body is refused before anything parses it.
/// </summary>
public static partial class RequestLimits
{
    public const string LoginPolicy = "login";
    public const string SponsorPolicy = "sponsor";
    public const string PlayerPolicy = "player";
    public const string OperatorPolicy = "operator";

    /// <summary>JSON nested deeper than this is refused (System.Text.Json's default).</summary>
    public const int MaxJsonDepth = 64;

    public static IServiceCollection AddRequestLimits(this IServiceCollection services)
    {
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<LimitsOptions>, LimitsOptionsValidator>();
        services.AddSingleton<AnalyticsGate>();
        services.AddExceptionHandler<StatementTimeoutExceptionHandler>();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<DatabaseOutage.ExceptionHandler>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<LimitsOptions>, PlayerTokens>((limiter, options, tokens) =>
        {
            var limits = options.Value;
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = OnRejectedAsync;
            limiter.AddPolicy(LoginPolicy, context => PerIp(context, limits, limits.LoginPerIp));
            limiter.AddPolicy(OperatorPolicy, context => PerIp(context, limits, limits.OperatorRequestsPerIp));
            limiter.AddPolicy(SponsorPolicy, context =>
                Window("sponsor:" + (context.Request.RouteValues["sponsorId"]?.ToString() ?? "?"), limits.SponsorRequests));
            limiter.AddPolicy(PlayerPolicy, context => tokens.PlayerIdOf(context.User) is { } player
                ? Window("player:" + player, limits.PlayerRequests)
                : PerIp(context, limits, limits.PlayerRequests)); // refused by authorization anyway
        });
        return services;
    }

    /// <summary>Rate limiter, body bounds, gates and the JSON check; call after authentication and authorization.</summary>
    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app, PathString hubPath)
    {
        app.UseRateLimiter();
        var limits = app.ApplicationServices.GetRequiredService<IOptions<LimitsOptions>>().Value;
        return app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(hubPath))
            {
                // SignalR bounds its own messages (Game:Transport:MaxMessageBytes).
                await next(context);
                return;
            }

            var endpoint = context.GetEndpoint();
            var body = endpoint?.Metadata.GetMetadata<JsonBodyMetadata>();
            var max = body?.Kind switch
            {
                BodyKind.Login => limits.MaxLoginBodyBytes,
                BodyKind.Zone => limits.MaxZoneBodyBytes,
                BodyKind.Small => limits.MaxRequestBodyBytes,
                _ => limits.MaxRequestBodyBytes,
            };
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = max;
            }

            // Refused from the header alone: nothing of a 25 MB body is read.
            if (context.Request.ContentLength > max)
            {
                await TooLarge(max).ExecuteAsync(context);
                return;
            }

            if (endpoint is not null)
            {
                foreach (var gate in endpoint.Metadata.GetOrderedMetadata<RequestGateMetadata>())
                {
                    if (await ((IRequestGate)context.RequestServices.GetRequiredService(gate.GateType)).CheckAsync(context) is { } refusal)
                    {
                        await refusal.ExecuteAsync(context);
                        return;
                    }
                }
            }

            if (body is not null && await CheckJsonAsync(context, max) is { } malformed)
            {
                await malformed.ExecuteAsync(context);
                return;
            }

            await next(context);
        });
    }

    /// <summary>
    /// Runs the endpoint only with a slot of the node's one <see cref="AnalyticsGate"/>
    /// (<c>AddEndpointFilter&lt;T&gt;</c> would make a gate per endpoint).
    /// </summary>
    public static TBuilder RequireAnalyticsSlot<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter((context, next) => context.HttpContext.RequestServices.GetRequiredService<AnalyticsGate>().InvokeAsync(context, next));

    /// <summary>Marks an endpoint as taking a JSON body of <paramref name="kind"/>.</summary>
    public static TBuilder AcceptsJsonBody<TBuilder>(this TBuilder builder, BodyKind kind) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new JsonBodyMetadata(kind));

    /// <summary>Runs gate <typeparamref name="TGate"/> before the endpoint binds its body (in the order added).</summary>
    public static RouteGroupBuilder RequireGate<TGate>(this RouteGroupBuilder builder) where TGate : IRequestGate =>
        builder.WithMetadata(new RequestGateMetadata(typeof(TGate)));

    /// <summary>Runs gate <typeparamref name="TGate"/> before the endpoint binds its body (in the order added).</summary>
    public static RouteHandlerBuilder RequireGate<TGate>(this RouteHandlerBuilder builder) where TGate : IRequestGate =>
        builder.WithMetadata(new RequestGateMetadata(typeof(TGate)));

    internal static IResult TooLarge(long max) => TypedResults.Problem(
        $"The request body may be at most {max} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large");

    internal static IResult Malformed(string detail) => TypedResults.Problem(
        detail, statusCode: StatusCodes.Status400BadRequest, title: "Malformed body");

    /// <summary>
    /// Reads the (already bounded) body once and checks it is UTF-8 JSON no deeper than
    /// <see cref="MaxJsonDepth"/>, then rewinds it for the binder. Invalid UTF-8 inside a string
    /// otherwise surfaced from the binder as an InvalidOperationException, a 500.
    /// </summary>
    private static async Task<IResult?> CheckJsonAsync(HttpContext context, long max)
    {
        if (!HttpMethods.IsPost(context.Request.Method) && !HttpMethods.IsPut(context.Request.Method))
        {
            return null;
        }

        context.Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: max);
        byte[] bytes;
        try
        {
            using var copy = new MemoryStream();
            await context.Request.Body.CopyToAsync(copy, context.RequestAborted);
            bytes = copy.ToArray();
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(max);
        }
        catch (IOException)
        {
            // A body larger than the buffer limit (chunked, no Content-Length) ends here too.
            return TooLarge(max);
        }

        context.Request.Body.Position = 0;
        if (bytes.Length == 0)
        {
            return null; // the endpoint answers a missing body itself (a clear "… is required")
        }

        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return Malformed("The body is not valid UTF-8.");
        }

        try
        {
            using var _ = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = MaxJsonDepth });
        }
        catch (JsonException ex)
        {
            return Malformed(ex.Message.Contains("depth", StringComparison.OrdinalIgnoreCase)
                ? $"The JSON is nested deeper than {MaxJsonDepth} levels."
                : "The body is not valid JSON.");
        }

        return null;
    }

    private static RateLimitPartition<string> PerIp(HttpContext context, LimitsOptions limits, WindowLimit limit)
    {
        var ip = context.Connection.RemoteIpAddress;
        if (ip is null || (limits.ExemptLoopback && IPAddress.IsLoopback(ip)))
        {
            return RateLimitPartition.GetNoLimiter("loopback");
        }

        return Window("ip:" + ip, limit);
    }

    private static RateLimitPartition<string> Window(string key, WindowLimit limit) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit.Permits,
            Window = limit.Window,
            QueueLimit = 0,
        });

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RequestLimits));
        LogRateLimited(logger, context.Request.Path, context.Connection.RemoteIpAddress);
        await TypedResults.Problem(
            $"Too many requests; retry after {seconds} s.",
            statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests").ExecuteAsync(context);
    }

    [LoggerMessage(EventId = 5300, Level = LogLevel.Information, Message = "Rate limited: {Path} from {Remote}")]
    private static partial void LogRateLimited(ILogger logger, PathString path, IPAddress? remote);
}

/// <summary>
/// Caps analytics queries and history exports running at once on this node
/// (<see cref="LimitsOptions.MaxConcurrentAnalytics"/>): they are the expensive reads, and a
/// sponsor console or a script must not take every database connection. Beyond the cap: 429.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "A singleton whose SemaphoreSlim lives as long as the process and never allocates a wait handle.")]
public sealed class AnalyticsGate(IOptions<LimitsOptions> options) : IEndpointFilter
{
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentAnalytics, options.Value.MaxConcurrentAnalytics);

    /// <summary>Slots free now.</summary>
    public int Free => _slots.CurrentCount;

    /// <summary>Takes a slot without waiting; dispose the result to give it back. Null when none is free.</summary>
    public IDisposable? TryEnter() => _slots.Wait(0) ? new Slot(_slots) : null;

    /// <summary>
    /// Waits up to <see cref="LimitsOptions.AnalyticsQueueTimeout"/> for a slot; dispose the result
    /// to give it back. Null when none freed in time (for callers that are not endpoints, e.g. the operator hub).
    /// </summary>
    public async Task<IDisposable?> EnterAsync(CancellationToken cancellationToken) =>
        await _slots.WaitAsync(options.Value.AnalyticsQueueTimeout, cancellationToken) ? new Slot(_slots) : null;

    /// <summary>What a caller that found no slot is told.</summary>
    public const string BusyDetail = "Too many analytics queries or exports are running on this node; retry after 1 s.";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        // A short wait in line: a burst (the sponsor console's six figures) is served in turn, a
        // sustained overload still gets 429.
        if (await EnterAsync(context.HttpContext.RequestAborted) is not { } slot)
        {
            context.HttpContext.Response.Headers.RetryAfter = "1";
            return TypedResults.Problem(BusyDetail, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests");
        }

        try
        {
            var result = await next(context);
            // A streamed answer (the history export) runs when the result executes, after this
            // filter returns: the slot is held until the response is done.
            context.HttpContext.Response.RegisterForDispose(slot);
            return result;
        }
        catch
        {
            slot.Dispose();
            throw;
        }
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}

/// <summary>
/// Answers a request the framework could not read (a body that fails to bind, a bad header) with
/// its own status as problem+json instead of 500, and a query PostgreSQL cancelled otherwise (an
/// operator's <c>pg_cancel_backend</c>) with 503.
/// </summary>
internal sealed partial class BadRequestExceptionHandler(IProblemDetailsService problems, ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "Bad request", "The request could not be read: " + bad.Message),
            JsonException => (StatusCodes.Status400BadRequest, "Malformed body", "The body does not match the expected JSON shape."),
            Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.QueryCanceled } =>
                (StatusCodes.Status503ServiceUnavailable, "Query cancelled", "The database cancelled the query; retry later."),
            _ => (0, "", ""),
        };
        if (status == 0)
        {
            return false;
        }

        LogBadRequest(logger, context.Request.Path, status, exception.Message);
        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    [LoggerMessage(EventId = 5310, Level = LogLevel.Debug, Message = "Request to {Path} answered {Status}: {Reason}")]
    private static partial void LogBadRequest(ILogger logger, PathString path, int status, string reason);
}

/// <summary>
/// An analytics or statement query stopped by <see cref="LimitsOptions.AnalyticsStatementTimeout"/>
/// (<see cref="GameBackend.Data.StatementTimeoutException"/>) answers 503 problem+json with
/// <c>Retry-After</c> and a detail naming the limit — never 500 — and is logged as a warning: the
/// query was refused, nothing on the server broke. 503, not 504: no gateway timed out; this server
/// declined to spend more on the request, and may serve it later or for a smaller range.
/// </summary>
internal sealed partial class StatementTimeoutExceptionHandler(IProblemDetailsService problems, ILogger<StatementTimeoutExceptionHandler> logger) : IExceptionHandler
{
    public const string Title = "Query took too long";

    /// <summary>The detail for a query stopped after <paramref name="timeout"/>; also what the operator hub says.</summary>
    public static string Detail(TimeSpan timeout) =>
        $"The query ran longer than Limits:AnalyticsStatementTimeout ({Seconds(timeout)} s) and was stopped; "
        + "ask for a shorter range or a smaller area, or retry later.";

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not GameBackend.Data.StatementTimeoutException timeout)
        {
            return false;
        }

        LogStatementTimeout(logger, context.Request.Path.ToString(), timeout.Timeout);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        // A slot-sized pause: the query that timed out has freed its slot and its connection.
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(timeout.Timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = Title, Detail = Detail(timeout.Timeout) },
        });
    }

    internal static string Seconds(TimeSpan timeout) => timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 5311, Level = LogLevel.Warning, Message = "Query for {Path} stopped by Limits:AnalyticsStatementTimeout ({Timeout})")]
    internal static partial void LogStatementTimeout(ILogger logger, string path, TimeSpan timeout);
}
