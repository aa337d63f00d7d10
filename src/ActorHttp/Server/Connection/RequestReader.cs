using Akka.IO;
using ActorHttp.Protocol.Parsing;

namespace ActorHttp.Server.Connection;

/// <summary>
/// The input side of a connection: received bytes not yet consumed, the parser, and when the request being read began
/// (for its timeouts).
/// <para>
/// The bytes are append-only: parsed requests refer to the array, so bytes already appended are never written again, and
/// a full array is replaced, never reused. When nothing is left over, a read is parsed in the array it arrived in
/// (borrowed: never written at all), so the common case copies nothing.
/// </para>
/// </summary>
internal sealed class RequestReader(ParserSettings settings, System.Net.EndPoint remote, Func<string, string, BodyLimits?>? bodyLimitsFor = null)
{
    private byte[]? _bytes;
    private int _start, _end;
    private bool _borrowed;
    private int _requestsRead; // a change restarts the request clocks
    private (bool InProgress, bool ReadingBody, int RequestsRead) _batchStart;

    /// <summary>The parser, with the last request, body part or error it produced.</summary>
    public HttpRequestParser Parser { get; } = new(settings) { RemoteAddress = remote, BodyLimitsFor = bodyLimitsFor };

    /// <summary>Bytes waiting to be parsed.</summary>
    public bool HasData => _start < _end;

    /// <summary>Adds a read.</summary>
    public void Append(ByteString data)
    {
        var count = data.Count;
        if (_bytes == null && ReceivedBytes.TryGetSegment(data, out var segment))
        {
            _bytes = segment.Array;
            _start = segment.Offset;
            _end = segment.Offset + count;
            _borrowed = true;
            return;
        }
        if (_bytes == null)
        {
            _bytes = new byte[count];
            _start = _end = 0;
            _borrowed = false;
        }
        else if (_borrowed || _bytes.Length - _end < count)
        {
            var unconsumed = _end - _start;
            var grown = new byte[Math.Max(unconsumed + count, Math.Min(2 * _bytes.Length, unconsumed + count + 64 * 1024))];
            _bytes.AsSpan(_start, unconsumed).CopyTo(grown);
            _bytes = grown;
            _start = 0;
            _end = unconsumed;
            _borrowed = false;
        }
        data.CopyTo(_bytes, _end, count);
        _end += count;
    }

    /// <summary>Lets the parser take what it can; the consumed bytes are gone, and an emptied buffer holds nothing.</summary>
    public ParseStatus Next()
    {
        var status = Parser.Parse(_bytes!, _start, _end - _start, out var consumed);
        _start += consumed;
        if (_start == _end) _bytes = null; // hold nothing while idle
        if (status == ParseStatus.RequestReady || (status == ParseStatus.BodyPart && Parser.BodyPartIsLast)) _requestsRead++;
        return status;
    }

    /// <summary>
    /// Hands over the bytes not parsed (those after an upgraded request's head belong to the new protocol) and forgets
    /// them; a borrowed buffer is copied, since the transport reuses it.
    /// </summary>
    public byte[] TakeRest()
    {
        var rest = _bytes == null ? [] : _bytes.AsSpan(_start, _end - _start).ToArray();
        _bytes = null;
        _start = _end = 0;
        return rest;
    }

    /// <summary>Notes where reading stands before a batch of input is parsed (see <see cref="EndBatch"/>).</summary>
    public void BeginBatch() => _batchStart = (Parser.InProgress, Parser.ReadingBody, _requestsRead);

    /// <summary>
    /// After a batch: the clocks of the request now being read start when its first (or its body's first) byte was
    /// processed, so a request that began in this batch, or follows one completed in it, restarts them.
    /// </summary>
    public void EndBatch(ConnectionTimeouts timeouts, long now)
    {
        var readSome = _requestsRead != _batchStart.RequestsRead;
        if (Parser.InProgress && (!_batchStart.InProgress || readSome)) timeouts.RequestStartedAt = now;
        if (Parser.ReadingBody && (!_batchStart.ReadingBody || readSome)) timeouts.BodyStartedAt = now;
    }
}
