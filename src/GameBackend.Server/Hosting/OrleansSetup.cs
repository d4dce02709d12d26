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

            // Failure-detection timing (ProbeTimeout, NumMissedProbesLimit, ...) from Cluster:Membership.
            // Tuned in code so that every deployment gets them (compose, Kubernetes, bare): with
            // Orleans' defaults, players whose grains lived on a killed node waited ~5.5 s before
            // they were served again, with these ~1.6 s (docs/scale-out.md). Configuration still wins.
            silo.Services.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
            });
            silo.Services.Configure<ClusterMembershipOptions>(builder.Configuration.GetSection(ClusterOptions.Section + ":Membership"));
            silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromMinutes(10));
            // The default directory is eventually consistent: when a node dies, registrations it held
            // are lost while their activations live on elsewhere, so a cell could end up with two
            // activations that players split between for good (seen in the node-kill test). The
            // strongly consistent directory recovers ranges from the survivors instead.
#pragma warning disable ORLEANSEXP003 // Experimental in Orleans 10; the cluster tests exercise it under SIGKILL and SIGTERM.
            silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
            // Directory knobs from Cluster:Directory, notably RangeLeaseDuration: after a crash, the
            // dead node's grains stay unregistrable this long, in case it is only cut off and still
            // running them. Orleans' 30 s default kept a third of the players of a 3-node cluster
            // waiting ~24 s after a kill; ours is 5 s (a cut-off node learns it was
            // declared dead from the membership table and stops; the captures ledger keeps one
            // winner even if two activations of a cell overlap). Set in code, not appsettings.json,
            // so it holds whatever the content root.
            silo.Services.Configure<GrainDirectoryOptions>(o => o.RangeLeaseDuration = TimeSpan.FromSeconds(5));
            silo.Services.Configure<GrainDirectoryOptions>(builder.Configuration.GetSection(ClusterOptions.Section + ":Directory"));
            silo.AddMemoryGrainStorageAsDefault();
            silo.Services.AddSingleton<SiloDeaths>();
            silo.AddActivityPropagation();
        });
        return builder;
    }
}
