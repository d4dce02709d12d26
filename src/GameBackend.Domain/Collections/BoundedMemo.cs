namespace GameBackend.Domain.Collections;

/// <summary>
/// Answers remembered by key, at most <see cref="Capacity"/> of them: the first answer for a key is
/// kept (later ones are ignored, so a retried request gets its first answer), and the oldest key is
/// forgotten when a new one would exceed the capacity. Single-threaded, like the grain turn that
/// owns it. Used for throw attempts and capture outcomes, where "recent" is all a retry needs.
/// </summary>
public sealed class BoundedMemo<TValue>
{
    private readonly Dictionary<string, TValue> _values;
    private readonly Queue<string> _order;

    public BoundedMemo(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _values = new Dictionary<string, TValue>(StringComparer.Ordinal);
        _order = new Queue<string>();
    }

    public int Capacity { get; }

    public int Count => _values.Count;

    public bool TryGet(string key, out TValue value) => _values.TryGetValue(key, out value!);

    public bool Contains(string key) => _values.ContainsKey(key);

    /// <summary>Remembers <paramref name="value"/> unless <paramref name="key"/> already has one; returns whether it was added.</summary>
    public bool TryRemember(string key, TValue value)
    {
        if (!_values.TryAdd(key, value))
        {
            return false;
        }

        _order.Enqueue(key);
        if (_order.Count > Capacity)
        {
            _values.Remove(_order.Dequeue());
        }

        return true;
    }
}
