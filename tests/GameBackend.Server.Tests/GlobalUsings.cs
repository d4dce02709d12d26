global using Microsoft.Extensions.DependencyInjection;
global using Orleans;
