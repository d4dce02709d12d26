namespace GameBackend.Server.Hosting;

/// <summary>
/// How many dead silos this node's membership view holds. Cell grains keep their watchers in memory,
/// so a cell that lived on a node that died (or stopped) is re-activated elsewhere knowing nobody; a
/// player grain compares this number on each fix (one integer compare, no grain call) and, when it
/// changed, registers its view again.
/// </summary>
public sealed class SiloDeaths(IClusterMembershipService membership, ILocalSiloDetails local)
{
    private Seen _seen = new(MembershipVersion.MinValue, 0);

    public int Count
    {
        get
        {
            var snapshot = membership.CurrentSnapshot;
            var seen = Volatile.Read(ref _seen);
            if (snapshot.Version == seen.Version)
            {
                return seen.Dead;
            }

            var dead = 0;
            foreach (var member in snapshot.Members.Values)
            {
                if (member.Status == SiloStatus.Dead)
                {
                    dead++;
                }
            }

            Volatile.Write(ref _seen, new Seen(snapshot.Version, dead));
            return dead;
        }
    }

    /// <summary>Whether this node's membership view declares <paramref name="silo"/> dead.</summary>
    public bool IsDead(SiloAddress silo) =>
        membership.CurrentSnapshot.Members.TryGetValue(silo, out var member) && member.Status == SiloStatus.Dead;

    /// <summary>Whether <paramref name="silo"/> is stopping or dead: its grains are leaving, and messages to it only fail.</summary>
    public bool IsLeaving(SiloAddress silo) =>
        membership.CurrentSnapshot.Members.TryGetValue(silo, out var member) && member.Status is SiloStatus.ShuttingDown or SiloStatus.Stopping or SiloStatus.Dead;

    /// <summary>
    /// Whether another node is active: when this one stops alone, its cells stop with it and
    /// goodbyes to them would only fail to find a node to run on.
    /// </summary>
    public bool AnyOtherNodeActive()
    {
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active && !member.SiloAddress.Equals(local.SiloAddress))
            {
                return true;
            }
        }

        return false;
    }

    private sealed record Seen(MembershipVersion Version, int Dead);
}
