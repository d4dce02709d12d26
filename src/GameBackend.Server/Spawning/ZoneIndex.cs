using NetTopologySuite.Geometries;
using NetTopologySuite.Index;
using NetTopologySuite.Index.Strtree;

namespace GameBackend.Server.Spawning;

/// <summary>
/// An immutable spatial index (NetTopologySuite's STR-packed R-tree) over the bounding boxes of
/// zones, for "which zones overlap this cell" and "which exclusions cover this point": a lookup
/// touches O(log n + k) tree nodes and hands only the k items whose box meets the query to the exact
/// test, where a scan tested every zone (issue 12, finding 5). Built once per <see cref="WorldCache"/>
/// reload; safe for concurrent readers once built (the constructor builds it).
/// </summary>
public sealed class ZoneIndex<T>
{
    private readonly STRtree<T>? _tree;
    private long _candidates;

    public ZoneIndex(IEnumerable<T> items, Func<T, Envelope> bounds)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(bounds);
        var tree = new STRtree<T>();
        foreach (var item in items)
        {
            tree.Insert(bounds(item), item);
            Count++;
        }

        if (Count > 0)
        {
            // Built here, not lazily on the first query, which would race between grains.
            tree.Build();
            _tree = tree;
        }
    }

    /// <summary>Items indexed.</summary>
    public int Count { get; }

    /// <summary>
    /// Items the tree handed to the exact test over every query so far: the work a lookup does
    /// beyond walking the tree. A scan would add <see cref="Count"/> per lookup (for tests).
    /// </summary>
    public long CandidatesExamined => Interlocked.Read(ref _candidates);

    /// <summary>The items whose box intersects <paramref name="area"/> and that pass <paramref name="exact"/> (if any), into <paramref name="found"/>.</summary>
    public void Query(Envelope area, List<T> found, Func<T, bool>? exact = null)
    {
        ArgumentNullException.ThrowIfNull(area);
        ArgumentNullException.ThrowIfNull(found);
        if (_tree is null)
        {
            return;
        }

        var visitor = new Visitor(found, exact);
        _tree.Query(area, visitor);
        Interlocked.Add(ref _candidates, visitor.Examined);
    }

    /// <summary>Whether any item whose box intersects <paramref name="area"/> passes <paramref name="exact"/>.</summary>
    public bool Any(Envelope area, Func<T, bool> exact)
    {
        ArgumentNullException.ThrowIfNull(exact);
        if (_tree is null)
        {
            return false;
        }

        var visitor = new Visitor(null, exact);
        _tree.Query(area, visitor);
        Interlocked.Add(ref _candidates, visitor.Examined);
        return visitor.Hit;
    }

    private sealed class Visitor(List<T>? found, Func<T, bool>? exact) : IItemVisitor<T>
    {
        public int Examined { get; private set; }

        public bool Hit { get; private set; }

        public void VisitItem(T item)
        {
            if (found is null && Hit)
            {
                return; // Any(): the answer is known; the tree has no early exit.
            }

            Examined++;
            if (exact is null || exact(item))
            {
                Hit = true;
                found?.Add(item);
            }
        }
    }
}
