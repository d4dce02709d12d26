using System.Globalization;

namespace GameBackend.Domain.Cells;

/// <summary>
/// A map cell of a <see cref="CellGrid"/>: a latitude band (row) and a column within that band.
/// The text form "{size}:{row}:{col}" is the grain key and the wire <c>cellId</c>; it carries the
/// grid size so that changing the configured size never mixes cells of two grids.
/// </summary>
public readonly record struct CellId(int SizeMeters, int Row, int Column)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{SizeMeters}:{Row}:{Column}");

    public static bool TryParse(string? text, out CellId cell)
    {
        cell = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        // Leading zeros are refused so that one cell has exactly one text form (it is a grain key).
        var parts = text.Split(':');
        if (parts.Length != 3 || Array.Exists(parts, p => p.Length > 1 && p[0] == '0') ||
            !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var row) ||
            !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var col))
        {
            return false;
        }

        cell = new CellId(size, row, col);
        return true;
    }

    public static CellId Parse(string text) =>
        TryParse(text, out var cell) ? cell : throw new FormatException($"'{text}' is not a cell id.");
}

/// <summary>A cell's extent in degrees. West may be greater than east only never: columns never straddle the antimeridian.</summary>
public readonly record struct CellBounds(double South, double North, double West, double East);
