namespace ActorHttp.Handlers.StaticFiles;

/// <summary>
/// The static handler's in-memory files: least recently used first out, bounded by the total bytes held and by the
/// size of one file. Owned by one actor, so not thread-safe.
/// <para>
/// Edits are noticed by validation, not by a FileSystemWatcher: the handler stats the file on every request anyway
/// (it must, to refuse symlinks that leave the root and to answer 404 for a deleted file) and an entry only counts if
/// the file's length and last write time are still those it was read with. A stat is a microsecond; a watcher delivers
/// its events late and may drop them (buffer overflow, network shares, inotify limits), so a request right after an
/// edit could get the old bytes. What validation misses: a rewrite that keeps both length and write time.
/// </para>
/// </summary>
internal sealed class FileCache
{
    private readonly Dictionary<string, LinkedListNode<StaticFile>> _byPath = new(StringComparer.Ordinal);
    private readonly LinkedList<StaticFile> _recency = new(); // most recently used first

    /// <param name="maxSize">Total content bytes held at most; 0 holds nothing.</param>
    /// <param name="maxFileSize">Largest file held.</param>
    public FileCache(long maxSize, long maxFileSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxFileSize);
        MaxSize = maxSize;
        MaxFileSize = maxFileSize;
    }

    public long MaxSize { get; }
    public long MaxFileSize { get; }

    /// <summary>
    /// Whether a file of <paramref name="length"/> bytes will be held with its compressed copies (each kept only when
    /// smaller than the file, so all of it is under three times its length): only then are copies worth making.
    /// </summary>
    public bool CanHold(long length) => length <= MaxFileSize && 3 * length <= MaxSize;

    /// <summary>Content bytes held now.</summary>
    public long Size { get; private set; }

    /// <summary>Files held now.</summary>
    public int Count => _byPath.Count;

    /// <summary>True when a version of <paramref name="path"/> is held (valid or not).</summary>
    public bool Contains(string path) => _byPath.ContainsKey(path);

    /// <summary>
    /// The held version of <paramref name="path"/> if the file still has <paramref name="length"/> and
    /// <paramref name="lastWriteTimeUtc"/> (it then becomes the most recently used); a held version that does not is
    /// dropped. Null when there is no valid version.
    /// </summary>
    public StaticFile? Get(string path, long length, DateTime lastWriteTimeUtc)
    {
        if (!_byPath.TryGetValue(path, out var node)) return null;
        var file = node.Value;
        if (file.Length != length || file.LastWriteTimeUtc != lastWriteTimeUtc)
        {
            Remove(node);
            return null;
        }
        if (node != _recency.First)
        {
            _recency.Remove(node);
            _recency.AddFirst(node);
        }
        return file;
    }

    /// <summary>
    /// Holds <paramref name="file"/> (it needs its content), replacing any version of the same path and dropping the
    /// least recently used files until it fits. False when it is larger than <see cref="MaxFileSize"/> or
    /// <see cref="MaxSize"/> and is not held.
    /// </summary>
    public bool Add(StaticFile file)
    {
        var content = file.Content ?? throw new ArgumentException("only a file with its content can be cached", nameof(file));
        if (_byPath.TryGetValue(file.Path, out var old)) Remove(old);
        if (content.Count > MaxFileSize || file.HeldBytes > MaxSize) return false;
        while (Size + file.HeldBytes > MaxSize) Remove(_recency.Last!);
        _byPath[file.Path] = _recency.AddFirst(file);
        Size += file.HeldBytes;
        return true;
    }

    private void Remove(LinkedListNode<StaticFile> node)
    {
        _recency.Remove(node);
        _byPath.Remove(node.Value.Path);
        Size -= node.Value.HeldBytes;
    }
}
