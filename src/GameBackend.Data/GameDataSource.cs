using Npgsql;

namespace GameBackend.Data;

/// <summary>Builds the <see cref="NpgsqlDataSource"/> every store in this assembly expects.</summary>
public static class GameDataSource
{
    /// <summary>
    /// Creates a data source with the NetTopologySuite plugin (geography ⇄ NTS geometries, x = lon,
    /// y = lat, SRID 4326). Create it after <see cref="Migrations.DatabaseMigrator"/> has run: type
    /// information (PostGIS) is loaded on first use and cached for the data source's lifetime.
    /// </summary>
    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseNetTopologySuite(geographyAsDefault: true);
        return builder.Build();
    }
}
