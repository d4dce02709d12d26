using System.Net;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace GameBackend.Server.Hosting;

internal static class OrleansSetup
{
    /// <summary>Co-hosts the Orleans silo in this process: localhost clustering by default, Redis membership in a cluster.</summary>
    public static WebApplicationBuilder AddGameOrleans(this WebApplicationBuilder builder)
    {
        var cluster = builder.Configuration.GetSection(ClusterOptions.Section).Get<ClusterOptions>() ?? new ClusterOptions();
        var redis = builder.Configuration.GetConnectionString("Redis");
        builder.UseOrleans(silo =>
        {
            silo.Configure<Orleans.Configuration.ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });

            if (cluster.Mode == ClusterMode.Redis)
            {
                silo.UseRedisClustering(o => o.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(redis!));
                silo.ConfigureEndpoints(IPAddress.Parse(cluster.AdvertisedAddress), cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: false);
            }
            else
            {
                silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
            }

            // Failure-detection timing (ProbeTimeout, NumMissedProbesLimit, ...) from Cluster:Membership;
            // Orleans defaults when unset (a killed node is declared dead after roughly 15-30 s).
            silo.Services.Configure<ClusterMembershipOptions>(builder.Configuration.GetSection(ClusterOptions.Section + ":Membership"));
            silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromMinutes(10));
            silo.AddMemoryGrainStorageAsDefault();
            silo.Services.AddSingleton<SiloDeaths>();
            silo.AddActivityPropagation();
        });
        return builder;
    }
}
