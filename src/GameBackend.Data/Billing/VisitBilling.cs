using Npgsql;

namespace GameBackend.Data.Billing;

/// <summary>
/// The one way a visit is charged: <c>bill_zone_visits</c> (migration 0003) inside the caller's
/// transaction, for visit keys already merged into <c>zone_visits</c>. The history writer calls it
/// for every batch of visit events, the sweep of abandoned visits for the visits it closes; the
/// ledger's key (zone, player, UTC day) makes a second call for the same visit change nothing.
/// </summary>
internal static class VisitBilling
{
    /// <summary>Bills the qualifying visits among the keys; adds the zones whose spend changed to <paramref name="charged"/>.</summary>
    public static async Task BillAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid[] zones, string[] players, DateTime[] entered, ICollection<Guid> charged, CancellationToken ct)
    {
        if (zones.Length == 0)
        {
            return;
        }

        await using var bill = new NpgsqlCommand("select z from bill_zone_visits(@zones, @players, @entered) as z", connection, tx);
        bill.Parameters.Add(new NpgsqlParameter<Guid[]>("zones", zones));
        bill.Parameters.Add(new NpgsqlParameter<string[]>("players", players));
        bill.Parameters.Add(new NpgsqlParameter<DateTime[]>("entered", entered));
        await using var r = await bill.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            charged.Add(r.GetGuid(0));
        }
    }
}
