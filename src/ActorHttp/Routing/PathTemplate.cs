namespace ActorHttp.Routing;

/// <summary>
/// A route's path pattern: literal segments, <c>{name}</c> segments that match any one segment, and an optional
/// final <c>{*name}</c> that matches the rest of the path. Matching compares the path as sent (percent-encoded);
/// captured values are percent-decoded.
/// </summary>
public sealed class PathTemplate
{
    private readonly string[] _segments;
    private readonly string?[] _parameters; // parameter name per segment, null for a literal
    private readonly bool _catchAll;

    private PathTemplate(string template, string[] segments, string?[] parameters, bool catchAll)
    {
        Template = template;
        _segments = segments;
        _parameters = parameters;
        _catchAll = catchAll;
    }

    /// <summary>The template as written, e.g. <c>/counters/{id}</c>.</summary>
    public string Template { get; }

    /// <summary>True when the template has no parameters: it matches exactly one path.</summary>
    public bool IsLiteral => Array.TrueForAll(_parameters, p => p == null);

    /// <summary>Literal segments count for more: <c>/a/b</c> is tried before <c>/a/{x}</c>, a catch-all last.</summary>
    internal int Specificity => (_catchAll ? 0 : 1_000_000) + _parameters.Count(p => p == null) * 1000 + _segments.Length;

    /// <summary>The name of the final <c>{*name}</c> parameter, or null when the template has none.</summary>
    public string? CatchAllParameter => _catchAll ? _parameters[^1] : null;

    /// <summary>The names of the template's parameters.</summary>
    public IEnumerable<string> ParameterNames => _parameters.OfType<string>();

    /// <summary>Parses a template. Throws <see cref="FormatException"/> with the reason when it is malformed.</summary>
    public static PathTemplate Parse(string template)
    {
        if (string.IsNullOrEmpty(template) || template[0] != '/')
            throw new FormatException($"path template '{template}' must start with '/'");
        var segments = template == "/" ? [""] : template[1..].Split('/');
        var parameters = new string?[segments.Length];
        var names = new HashSet<string>();
        var catchAll = false;
        for (var i = 0; i < segments.Length; i++)
        {
            var s = segments[i];
            if (s.StartsWith('{') && s.EndsWith('}'))
            {
                var name = s[1..^1];
                if (name.StartsWith('*'))
                {
                    if (i != segments.Length - 1) throw new FormatException($"path template '{template}': '{s}' must be the last segment");
                    name = name[1..];
                    catchAll = true;
                }
                if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                    throw new FormatException($"path template '{template}': invalid parameter name '{name}'");
                if (!names.Add(name)) throw new FormatException($"path template '{template}': parameter '{name}' appears twice");
                parameters[i] = name;
            }
            else if (s.Contains('{') || s.Contains('}'))
                throw new FormatException($"path template '{template}': a parameter must be a whole segment, like /{{name}}");
        }
        return new PathTemplate(template, segments, parameters, catchAll);
    }

    /// <summary>Matches <paramref name="path"/>; on success <paramref name="values"/> holds the decoded parameters (null if none).</summary>
    public bool TryMatch(string path, out Dictionary<string, string>? values)
    {
        values = null;
        if (path.Length == 0 || path[0] != '/') return false;
        var pos = 1;
        for (var i = 0; i < _segments.Length; i++)
        {
            if (_catchAll && i == _segments.Length - 1)
            {
                (values ??= new Dictionary<string, string>(StringComparer.Ordinal))[_parameters[i]!] = Decode(path.AsSpan(pos));
                return true;
            }
            if (pos > path.Length) return false;
            var end = path.IndexOf('/', pos);
            var last = end < 0;
            if (last) end = path.Length;
            var segment = path.AsSpan(pos, end - pos);
            if (_parameters[i] is { } name)
            {
                if (segment.IsEmpty) return false;
                (values ??= new Dictionary<string, string>(StringComparer.Ordinal))[name] = Decode(segment);
            }
            else if (!segment.SequenceEqual(_segments[i])) return false;
            if (last != (i == _segments.Length - 1)) return false;
            pos = end + 1;
        }
        return true;
    }

    private static string Decode(ReadOnlySpan<char> segment) =>
        segment.Contains('%') ? Uri.UnescapeDataString(segment.ToString()) : segment.ToString();

    public override string ToString() => Template;
}
