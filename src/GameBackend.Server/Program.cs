using GameBackend.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddGameServer();

var app = builder.Build();
app.MapGameServer();
app.Run();

/// <summary>Entry point; public so tests can find the assembly.</summary>
public partial class Program;
