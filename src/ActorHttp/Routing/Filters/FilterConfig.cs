using Akka.Configuration;

namespace ActorHttp.Routing.Filters;

/// <summary>
/// Reads the filters of HOCON routes (<c>actor-http.filter-definitions</c>, <c>actor-http.filters</c> and a route's
/// <c>filters</c>; syntax in reference.conf). Every mistake is a <see cref="ConfigurationException"/> naming the key.
/// </summary>
internal static class FilterConfig
{
    private const string Definitions = "actor-http.filter-definitions";

    /// <summary>Every definition of <c>actor-http.filter-definitions</c>, by name; <paramref name="config"/> is backed by reference.conf.</summary>
    public static IReadOnlyDictionary<string, FilterDefinition> LoadDefinitions(Config config, ActorTypeProps? actorTypeProps)
    {
        var definitions = new Dictionary<string, FilterDefinition>(StringComparer.Ordinal);
        if (!config.HasPath(Definitions) || config.GetConfig(Definitions) is not { IsEmpty: false } section) return definitions;
        foreach (var name in section.Root.GetObject().Items.Keys)
        {
            var key = $"{Definitions}.{name}";
            if (section.GetValue(name) is not { } value || !value.IsObject())
                throw new ConfigurationException($"{key}: must be an object with a type (api-key, rate-limit or a type name)");
            try
            {
                definitions[name] = LoadOne(name, section.GetConfig(name), key, config, actorTypeProps);
            }
            catch (ConfigurationException) { throw; }
            catch (Exception e)
            {
                throw new ConfigurationException($"{key}: {e.Message}", e);
            }
        }
        return definitions;
    }

    private static FilterDefinition LoadOne(string name, Config definition, string key, Config config, ActorTypeProps? actorTypeProps)
    {
        var type = definition.GetString("type") ?? throw new ConfigurationException($"{key}.type is missing (api-key, rate-limit or a type name)");
        return type switch
        {
            "api-key" => FilterDefinition.Of(new ApiKeyFilter(ApiKeySettings.FromConfig(WithDefaults(definition, config, type), key)), name),
            "rate-limit" => RateLimitFilter.Definition(RateLimitSettings.FromConfig(WithDefaults(definition, config, type), key), name),
            _ => OfType(name, type, definition, key, actorTypeProps),
        };
    }

    private static Config WithDefaults(Config definition, Config config, string type) =>
        definition.WithFallback(config.GetConfig($"actor-http.filter-defaults.{type}"));

    /// <summary>
    /// A filter named by type: an <see cref="IRequestFilter"/> made now with a constructor taking the definition's Config,
    /// or none; or an actor type, made as route handlers are.
    /// </summary>
    private static FilterDefinition OfType(string name, string typeName, Config definition, string key, ActorTypeProps? actorTypeProps)
    {
        var type = Type.GetType(typeName, throwOnError: false)
                   ?? throw new ConfigurationException($"{key}.type: '{typeName}' is not api-key or rate-limit, nor a type found (write \"Namespace.Type, Assembly\")");
        if (!typeof(IRequestFilter).IsAssignableFrom(type))
            return FilterDefinition.ForActor(name, RouteConfig.PropsOfType(typeName, definition, key, "type", actorTypeProps));
        if (type.IsAbstract) throw new ConfigurationException($"{key}.type: '{type.FullName}' is abstract");
        object? filter;
        try
        {
            filter = type.GetConstructor([typeof(Config)]) is { } withConfig ? withConfig.Invoke([definition])
                : type.GetConstructor(Type.EmptyTypes) is { } plain ? plain.Invoke([])
                : throw new ConfigurationException($"{key}.type: '{type.FullName}' needs a public constructor taking no arguments or a Config");
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is { } inner)
        {
            throw inner is ConfigurationException ? inner : new ConfigurationException($"{key}: {inner.Message}", inner);
        }
        return FilterDefinition.Of((IRequestFilter)filter, name);
    }

    /// <summary>The definitions <paramref name="names"/> names, in order; <paramref name="key"/> is where the list is, for errors.</summary>
    public static IReadOnlyList<FilterDefinition> Named(IReadOnlyList<string> names, string key, IReadOnlyDictionary<string, FilterDefinition> definitions) =>
        [.. names.Select(name => definitions.TryGetValue(name, out var definition) ? definition
            : throw new ConfigurationException($"{key}: no filter named '{name}' in {Definitions}"))];
}
