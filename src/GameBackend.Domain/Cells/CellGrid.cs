using GameBackend.Domain.Geo;

namespace GameBackend.Domain.Cells;

/// <summary>
/// The map's cell scheme: latitude bands of equal height (<c>size</c> metres north-south), each cut
/// into as many equal-width columns as fit <c>size</c> metres at the band's widest (equator-side)
/// edge. Cells are therefore roughly square everywhere, no cell is wider than <c>size</c>, the
/// number of columns shrinks towards the poles (the bands touching a pole are one cell each), and
/// columns wrap at the antimeridian (longitude 180 is the same meridian as -180, column 0).
/// Simpler than S2, exact to compute, and every rule below is a few lines that tests can pin.
/// </summary>
public sealed class CellGrid
{
    private readonly double _rowHeightDegrees;
    private readonly int[] _columnsPerRow;

    public CellGrid(int sizeMeters)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeMeters, 10);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sizeMeters, 100_000);
        SizeMeters = sizeMeters;
        _rowHeightDegrees = sizeMeters / GeoMath.MetersPerDegree;
        RowCount = (int)Math.Ceiling(180.0 / _rowHeightDegrees);
        _columnsPerRow = new int[RowCount];
        for (var row = 0; row < RowCount; row++)
        {
            var (south, north) = RowLatitudes(row);
            var widestLatitude = south <= 0 && north >= 0 ? 0 : Math.Min(Math.Abs(south), Math.Abs(north));
            var circumferenceMeters = 360.0 * GeoMath.MetersPerDegree * Math.Cos(GeoMath.ToRadians(widestLatitude));
            _columnsPerRow[row] = Math.Max(1, (int)Math.Ceiling((circumferenceMeters / sizeMeters) - 1e-9));
        }
    }

    public int SizeMeters { get; }

    public int RowCount { get; }

    public int ColumnsInRow(int row) => _columnsPerRow[row];

    public CellId CellOf(GeoPoint point)
    {
        var row = RowOf(point.Latitude);
        return new CellId(SizeMeters, row, ColumnOf(row, point.Longitude));
    }

    public CellBounds Bounds(CellId cell)
    {
        EnsureOwn(cell);
        var (south, north) = RowLatitudes(cell.Row);
        var width = 360.0 / _columnsPerRow[cell.Row];
        var west = -180.0 + (cell.Column * width);
        return new CellBounds(south, north, west, Math.Min(180.0, west + width));
    }

    public bool IsValid(CellId cell) =>
        cell.SizeMeters == SizeMeters && cell.Row >= 0 && cell.Row < RowCount &&
        cell.Column >= 0 && cell.Column < _columnsPerRow[cell.Row];

    /// <summary>
    /// Every cell that holds a point within <paramref name="radiusMeters"/> of any point of
    /// <paramref name="center"/> (the centre cell included). A player's view is a function of its
    /// cell only, so an update that stays in its cell never changes what it watches.
    /// </summary>
    public IReadOnlyList<CellId> CellsWithin(CellId center, double radiusMeters)
    {
        EnsureOwn(center);
        ArgumentOutOfRangeException.ThrowIfNegative(radiusMeters);
        var bounds = Bounds(center);
        var deltaDegrees = GeoMath.ToDegrees(radiusMeters / GeoMath.EarthRadiusMeters);
        var south = Math.Max(-90.0, bounds.South - deltaDegrees);
        var north = Math.Min(90.0, bounds.North + deltaDegrees);

        // Longitude half-width of a spherical cap of angular radius delta centred at latitude phi is
        // asin(sin(delta) / cos(phi)); it is largest for the most poleward centre in the cell.
        var poleward = Math.Max(Math.Abs(bounds.South), Math.Abs(bounds.North));
        var cosPhi = Math.Cos(GeoMath.ToRadians(poleward));
        var sinDelta = Math.Sin(radiusMeters / GeoMath.EarthRadiusMeters);
        var wholeRows = north >= 90.0 || south <= -90.0 || sinDelta >= cosPhi;
        var lonHalfWidth = wholeRows ? 180.0 : GeoMath.ToDegrees(Math.Asin(sinDelta / cosPhi));

        var result = new List<CellId>(12);
        var firstRow = RowOf(south);
        var lastRow = RowOf(north);
        for (var row = firstRow; row <= lastRow; row++)
        {
            var columns = _columnsPerRow[row];
            var west = bounds.West - lonHalfWidth;
            var east = bounds.East + lonHalfWidth;
            if (wholeRows || east - west >= 360.0)
            {
                for (var col = 0; col < columns; col++)
                {
                    result.Add(new CellId(SizeMeters, row, col));
                }

                continue;
            }

            var width = 360.0 / columns;
            var firstColumn = (int)Math.Floor((west + 180.0) / width);
            var lastColumn = (int)Math.Ceiling((east + 180.0) / width) - 1;
            if (lastColumn - firstColumn + 1 >= columns)
            {
                lastColumn = firstColumn + columns - 1;
            }

            for (var col = firstColumn; col <= lastColumn; col++)
            {
                // Columns past either end wrap across the antimeridian.
                result.Add(new CellId(SizeMeters, row, ((col % columns) + columns) % columns));
            }
        }

        return result;
    }

    /// <summary>A point uniformly distributed over the cell's area (uniform in sin(latitude) and longitude).</summary>
    public GeoPoint RandomPointIn(CellId cell, Random random)
    {
        var b = Bounds(cell);
        var sinSouth = Math.Sin(GeoMath.ToRadians(b.South));
        var sinNorth = Math.Sin(GeoMath.ToRadians(b.North));
        var lat = GeoMath.ToDegrees(Math.Asin(sinSouth + (random.NextDouble() * (sinNorth - sinSouth))));
        var lon = b.West + (random.NextDouble() * (b.East - b.West));
        return new GeoPoint(Math.Clamp(lat, b.South, b.North), lon >= 180.0 ? -180.0 : lon);
    }

    private int RowOf(double latitude)
    {
        var row = (int)Math.Floor((latitude + 90.0) / _rowHeightDegrees);
        return Math.Clamp(row, 0, RowCount - 1);
    }

    private int ColumnOf(int row, double longitude)
    {
        var columns = _columnsPerRow[row];
        var col = (int)Math.Floor((longitude + 180.0) / 360.0 * columns);
        return ((col % columns) + columns) % columns;
    }

    private (double South, double North) RowLatitudes(int row)
    {
        var south = -90.0 + (row * _rowHeightDegrees);
        return (south, Math.Min(90.0, south + _rowHeightDegrees));
    }

    private void EnsureOwn(CellId cell)
    {
        if (!IsValid(cell))
        {
            throw new ArgumentException($"Cell {cell} does not belong to the {SizeMeters} m grid.", nameof(cell));
        }
    }
}
