using GameBackend.Domain.Geo;

namespace GameBackend.Domain.Cells;

/// <summary>
/// The map's cell scheme: latitude bands of equal height (<c>size</c> metres north-south), each cut
/// into as many equal-width columns as fit <c>size</c> metres at the band's widest (equator-side)
/// edge. Cells are therefore roughly square everywhere, no cell but the two polar caps is wider than
/// <c>size</c>, the number of columns shrinks towards the poles (the bands touching a pole are one
/// cell each, a cap of radius about <c>size</c>), and
/// columns wrap at the antimeridian (longitude 180 is the same meridian as -180, column 0).
/// Simpler than S2, exact to compute, and every rule below is a few lines that tests can pin.
/// </summary>
public sealed class CellGrid
{
    // About 1.1 mm: absorbs the rounding between a radius in degrees and the row height.
    private const double EdgeToleranceDegrees = 1e-8;

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
            if (south <= -90.0 || north >= 90.0)
            {
                _columnsPerRow[row] = 1;
                continue;
            }

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
        var columns = _columnsPerRow[cell.Row];
        return new CellBounds(south, north, ColumnWest(columns, cell.Column), ColumnWest(columns, cell.Column + 1));
    }

    /// <summary>The cell's area on the sphere, m² (what spawn densities per km² are applied to).</summary>
    public double AreaSquareMeters(CellId cell)
    {
        var b = Bounds(cell);
        var sinBand = Math.Sin(GeoMath.ToRadians(b.North)) - Math.Sin(GeoMath.ToRadians(b.South));
        return GeoMath.EarthRadiusMeters * GeoMath.EarthRadiusMeters * sinBand * GeoMath.ToRadians(b.East - b.West);
    }

    public bool IsValid(CellId cell) =>
        cell.SizeMeters == SizeMeters && cell.Row >= 0 && cell.Row < RowCount &&
        cell.Column >= 0 && cell.Column < _columnsPerRow[cell.Row];

    /// <summary>
    /// Every cell that holds a point within <paramref name="radiusMeters"/> of any point of
    /// <paramref name="center"/> (the centre cell included). A player's view is a function of its
    /// cell only, so an update that stays in its cell never changes what it watches.
    /// Rows, like columns, are bounded with the far edge excluded: a point at exactly the radius on
    /// a row boundary does not pull in a whole further row. The guarantee therefore holds for every
    /// point within <c>radiusMeters - 2 mm</c>; when the radius is a multiple of the cell size this
    /// saves a row on each side (at most 16 cells instead of up to 25 for 200 m around 200 m cells).
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
        var firstRow = RowOf(south + EdgeToleranceDegrees);
        var lastRow = RowOf(north - EdgeToleranceDegrees);
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

        // Cells are closed at the south and west edges and open at the north and east edges
        // (except at the north pole): a sample rounded onto an open edge is moved just inside.
        lat = Math.Max(lat, b.South);
        if (lat >= b.North && b.North < 90.0)
        {
            lat = Math.BitDecrement(b.North);
        }

        return new GeoPoint(lat, lon >= b.East ? Math.BitDecrement(b.East) : lon);
    }

    // RowOf and ColumnOf correct the floored estimate against the very edges Bounds reports, so a
    // point on an edge (a cell's own corner, say) lands in the cell whose bounds contain it rather
    // than in its neighbour by a rounding error.
    private int RowOf(double latitude)
    {
        var row = Math.Clamp((int)Math.Floor((latitude + 90.0) / _rowHeightDegrees), 0, RowCount - 1);
        if (row > 0 && latitude < RowSouth(row))
        {
            row--;
        }
        else if (row + 1 < RowCount && latitude >= RowSouth(row + 1))
        {
            row++;
        }

        return row;
    }

    private int ColumnOf(int row, double longitude)
    {
        var columns = _columnsPerRow[row];
        var lon = longitude >= 180.0 ? -180.0 : longitude;
        var col = Math.Clamp((int)Math.Floor((lon + 180.0) / 360.0 * columns), 0, columns - 1);
        if (col > 0 && lon < ColumnWest(columns, col))
        {
            col--;
        }
        else if (col + 1 < columns && lon >= ColumnWest(columns, col + 1))
        {
            col++;
        }

        return col;
    }

    private static double ColumnWest(int columns, int column) =>
        column >= columns ? 180.0 : -180.0 + (column * (360.0 / columns));

    private double RowSouth(int row) => -90.0 + (row * _rowHeightDegrees);

    private (double South, double North) RowLatitudes(int row) =>
        (RowSouth(row), row + 1 >= RowCount ? 90.0 : RowSouth(row + 1));

    private void EnsureOwn(CellId cell)
    {
        if (!IsValid(cell))
        {
            throw new ArgumentException($"Cell {cell} does not belong to the {SizeMeters} m grid.", nameof(cell));
        }
    }
}
