global using GameBackend.Server.Tests.Infrastructure;
global using Microsoft.Extensions.DependencyInjection;
global using Microsoft.Playwright;
global using static Microsoft.Playwright.Assertions;
