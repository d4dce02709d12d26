using GameBackend.Domain.Spawning;

namespace GameBackend.Domain.Tests.Spawning;

public sealed class CreatureIdsTests
{
    [Fact]
    public void Ids_made_in_one_millisecond_by_many_makers_never_repeat()
    {
        const long sameMillisecond = 1_780_000_000_123;
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 25_000; i++)
            {
                ids.Add(CreatureIds.New(sameMillisecond));
            }
        });

        Assert.Equal(200_000, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Ids_carry_their_time_so_they_sort_by_spawn_time()
    {
        var earlier = CreatureIds.New(1_780_000_000_000);
        var later = CreatureIds.New(1_780_000_001_000);
        Assert.True(string.CompareOrdinal(earlier, later) < 0);
        Assert.Equal(32, earlier.Length);
        Assert.Matches("^[0-9a-f]{32}$", earlier);
    }
}
