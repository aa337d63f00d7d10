namespace ActorHttp.Handlers.StaticFiles;

/// <summary>What a requested path turned out to be, before the file system is asked.</summary>
internal enum PathVerdict
{
    /// <summary>Segments to look up under the root.</summary>
    Valid,

    /// <summary>A path that can never name a file under the root (traversal, absolute, separators or control characters): 400.</summary>
    Invalid,

    /// <summary>A dotfile or a path through a dot-directory: 404, as if it did not exist.</summary>
    Hidden,
}

/// <summary>
/// The directory a static route serves, and the only way to name a file in it: <see cref="Check"/> refuses paths
/// that could leave it lexically, <see cref="Resolve"/> follows symlinks and refuses those whose real location is
/// outside it.
/// </summary>
internal sealed class RootDirectory
{
    /// <summary>Links followed for one path at most (Linux's own limit): more is a loop.</summary>
    private const int MaxLinkHops = 40;

    private readonly string _prefix; // RealPath with a final separator: "inside" means starting with it

    /// <param name="root">An existing directory.</param>
    public RootDirectory(string root)
    {
        var hops = MaxLinkHops;
        RealPath = RealPathOf(Path.GetFullPath(root), ref hops) ?? throw new IOException($"cannot resolve the links of '{root}'");
        _prefix = Path.EndsInDirectorySeparator(RealPath) ? RealPath : RealPath + Path.DirectorySeparatorChar;
    }

    /// <summary>The root's own real path (links in it resolved).</summary>
    public string RealPath { get; }

    /// <summary>
    /// Judges <paramref name="relative"/>, the requested path below the mount point as the route delivered it
    /// (percent-decoded once), and splits it into segments. A trailing '/' adds no segment.
    /// </summary>
    /// <param name="relative">The decoded path, e.g. <c>assets/style.css</c>; empty for the root itself.</param>
    /// <param name="rawPath">The request's path as sent (percent-encoded).</param>
    /// <param name="segments">The segments when <see cref="PathVerdict.Valid"/>.</param>
    public static PathVerdict Check(string relative, string rawPath, out string[] segments)
    {
        segments = [];
        // An encoded separator decodes into one: "a%2Fb" would name a/b, behind the back of anything that filters on
        // the path as sent. Only the path as sent shows it was encoded.
        if (rawPath.Contains("%2f", StringComparison.OrdinalIgnoreCase) || rawPath.Contains("%5c", StringComparison.OrdinalIgnoreCase))
            return PathVerdict.Invalid;
        foreach (var c in relative)
            if (c < 0x20 || c == 0x7f || c == '\\') return PathVerdict.Invalid; // NUL and friends; Windows separator
        if (relative.Length == 0) return PathVerdict.Valid;
        var parts = relative.Split('/');
        var count = parts[^1].Length == 0 ? parts.Length - 1 : parts.Length; // "docs/" names the directory docs
        var verdict = PathVerdict.Valid;
        for (var i = 0; i < count; i++)
        {
            var part = parts[i];
            if (part.Length == 0 || part is "." or "..") return PathVerdict.Invalid; // absolute ("/etc"), "a//b", traversal
            // ':' makes a drive ("C:") or an NTFS stream ("a.txt::$DATA"); Windows also drops trailing dots and spaces,
            // so "a.txt." would be another name for a.txt.
            if (part.Contains(':') || (OperatingSystem.IsWindows() && part[^1] is '.' or ' ')) return PathVerdict.Invalid;
            if (part[0] == '.') verdict = PathVerdict.Hidden; // keep checking: an invalid segment later still makes 400
        }
        if (verdict == PathVerdict.Valid) segments = count == parts.Length ? parts : parts[..count];
        return verdict;
    }

    /// <summary>
    /// The real path of the root joined with <paramref name="segments"/>, every symlink on the way replaced by the real
    /// path of its target; null when a link leads outside the root or links loop. A missing component is no error
    /// here: the path is returned as is and the stat that follows finds nothing.
    /// </summary>
    public string? Resolve(IReadOnlyList<string> segments)
    {
        var hops = MaxLinkHops;
        var current = RealPath;
        for (var i = 0; i < segments.Count; i++)
        {
            var next = Path.Join(current, segments[i]);
            if (LinkTarget(next) is { } target)
            {
                if (--hops < 0) return null;
                var real = RealPathOf(Path.GetFullPath(target, current), ref hops);
                if (real == null || !IsInside(real)) return null;
                next = real;
            }
            current = next;
        }
        return current;
    }

    private bool IsInside(string path) =>
        path.StartsWith(_prefix, StringComparison.Ordinal) || path.Equals(RealPath, StringComparison.Ordinal);

    /// <summary>
    /// The real path of an absolute, normalized path: each component that is a link replaced by the real path of its
    /// target. A target's ".." is applied to the text (exact after real directories, as ".." from the link's own
    /// directory always is); either way the result holds no link, so the file served is the one that was checked.
    /// </summary>
    private static string? RealPathOf(string fullPath, ref int hops)
    {
        var current = Path.GetPathRoot(fullPath)!;
        foreach (var part in fullPath[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Join(current, part);
            if (LinkTarget(next) is { } target)
            {
                if (--hops < 0) return null;
                next = RealPathOf(Path.GetFullPath(target, current), ref hops);
                if (next == null) return null;
            }
            current = next;
        }
        return current;
    }

    /// <summary>The target a link at <paramref name="path"/> points to as written; null for anything else, or nothing.</summary>
    private static string? LinkTarget(string path) => new FileInfo(path).LinkTarget;
}
