namespace GameBackend.Server.Hosting;

/// <summary>
/// How many dead silos this node's membership view holds. Cell grains keep their watchers in memory,
/// so a cell that lived on a node that died (or stopped) is re-activated elsewhere knowing nobody; a
/// player grain compares this number on each fix (one integer compare, no grain call) and, when it
/// changed, registers its view again.
/// </summary>
public sealed class SiloDeaths(IClusterMembershipService membership)
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

    private sealed record Seen(MembershipVersion Version, int Dead);
}
