using GameBackend.Data.History;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace GameBackend.Server.Telemetry;

internal static class TelemetrySetup
{
    /// <summary>Metrics scraped by Prometheus at <c>/metrics</c>; traces from the hub through the grains (exported where an OTLP collector is configured).</summary>
    public static IServiceCollection AddGameTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<GameMetrics>();
        var telemetry = services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddMeter(GameMetrics.MeterName, HistoryWriter.MeterName, "Microsoft.Orleans", "Microsoft.AspNetCore.Hosting",
                    "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections")
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());

        // Tracing only where a collector listens: an activity per hub invocation and grain call is
        // measurable on the location hot path, and without an exporter nobody would see it.
        if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Microsoft.AspNetCore.SignalR.Server")
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter());
        }

        return services;
    }
}
