using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Akka.IO;

namespace ActorHttp.Protocol.Rendering;

/// <summary>How the body of a streamed response is delimited on the wire.</summary>
internal enum BodyFraming
{
    /// <summary>No body follows the head (HEAD request, or a status that forbids one).</summary>
    None,
    /// <summary>Exactly <c>Content-Length</c> bytes.</summary>
    ContentLength,
    /// <summary>Chunked transfer coding (HTTP/1.1).</summary>
    Chunked,
    /// <summary>Everything until the server closes the connection (HTTP/1.0 without a known length).</summary>
    CloseDelimited,
}

/// <summary>How one response is to be framed on its connection.</summary>
/// <param name="Protocol">The protocol of the request being answered.</param>
/// <param name="IsHead">The request was HEAD: headers as for GET, no body.</param>
/// <param name="Close">The connection closes after this response.</param>
internal readonly record struct RenderContext(HttpProtocol Protocol, bool IsHead, bool Close);

/// <summary>
/// Renders responses to bytes: status line, headers and body back to back in one <see cref="OutputBuffer"/>,
/// so each response (or a batch of pipelined ones) leaves in a single write. No string is formatted per response:
/// status lines are cached, <c>Date</c> comes from <see cref="DateHeader"/>, numbers are formatted into the buffer.
/// </summary>
internal sealed class HttpResponseRenderer
{
    /// <summary>Bodies up to this size are copied next to their head; larger ones are referenced.</summary>
    private const int CopyBodyLimit = 16 * 1024;

    private static readonly byte[][] StatusLines = BuildStatusLines();
    private static readonly SearchValues<char> UnsafeValueChars = SearchValues.Create("\r\n\0");

    /// <summary>The interim response that tells a client waiting on <c>Expect: 100-continue</c> to send its body.</summary>
    public static ReadOnlySpan<byte> Continue => "HTTP/1.1 100 Continue\r\n\r\n"u8;

    private readonly byte[] _serverLine;
    private readonly DateHeader _date;

    /// <param name="serverHeader">The <c>Server</c> header value; empty to send none.</param>
    /// <param name="clock">The clock of the <c>Date</c> header; the system's when null.</param>
    public HttpResponseRenderer(string serverHeader, TimeProvider? clock = null)
    {
        _serverLine = string.IsNullOrEmpty(serverHeader) ? [] : Encoding.Latin1.GetBytes($"Server: {serverHeader}\r\n");
        _date = new DateHeader(clock ?? TimeProvider.System);
    }

    /// <summary>Renders <paramref name="response"/> into <paramref name="output"/>.</summary>
    public void Render(HttpResponse response, in RenderContext context, OutputBuffer output)
    {
        var status = FinalStatus(response);
        WriteHead(response, status, context.Close, context.Protocol, output);
        var body = response.Body;
        if (StatusCodes.ForbidsBody(status))
        {
            output.Write("\r\n"u8);
            return;
        }
        WriteContentLength(output, body.Count);
        output.Write("\r\n"u8);
        if (context.IsHead || body.IsEmpty) return;
        WriteBody(output, body);
    }

    /// <summary>
    /// Renders the head of a streamed response (<see cref="HttpResponse.Streamed"/>) and returns how its body is framed:
    /// by <see cref="HttpResponse.ContentLength"/> when known, else chunked for HTTP/1.1 and delimited by closing the
    /// connection for HTTP/1.0 (the head then says <c>Connection: close</c>). <see cref="BodyFraming.None"/> when no
    /// body may follow (HEAD, 1xx/204/304): the head is complete and the stream should be cancelled.
    /// </summary>
    public BodyFraming RenderStreamedHead(HttpResponse response, in RenderContext context, OutputBuffer output)
    {
        var status = FinalStatus(response);
        var forbidsBody = StatusCodes.ForbidsBody(status);
        var framing = forbidsBody ? BodyFraming.None
            : response.ContentLength is >= 0 ? BodyFraming.ContentLength
            : context.Protocol == HttpProtocol.Http11 ? BodyFraming.Chunked
            : BodyFraming.CloseDelimited;
        // Close-delimited needs the close announced, unless this is HEAD: then no body follows and nothing must close.
        WriteHead(response, status, context.Close || (framing == BodyFraming.CloseDelimited && !context.IsHead), context.Protocol, output);
        if (framing == BodyFraming.ContentLength) WriteContentLength(output, response.ContentLength!.Value);
        else if (framing == BodyFraming.Chunked) output.Write("Transfer-Encoding: chunked\r\n"u8);
        output.Write("\r\n"u8);
        return context.IsHead ? BodyFraming.None : framing;
    }

    /// <summary>Renders one piece of a streamed body: as a chunk (size line, data, CRLF) or as it is.</summary>
    public static void RenderBodyPart(ByteString bytes, BodyFraming framing, OutputBuffer output)
    {
        if (bytes.IsEmpty) return; // an empty chunk would end a chunked body
        if (framing == BodyFraming.Chunked)
        {
            var span = output.GetSpan(18);
            Utf8Formatter.TryFormat((ulong)bytes.Count, span, out var digits, new StandardFormat('X'));
            span[digits] = (byte)'\r';
            span[digits + 1] = (byte)'\n';
            output.Advance(digits + 2);
        }
        WriteBody(output, bytes);
        if (framing == BodyFraming.Chunked) output.Write("\r\n"u8);
    }

    /// <summary>The end of a streamed body: the last chunk (no trailers) when chunked, nothing otherwise.</summary>
    public static void RenderBodyEnd(BodyFraming framing, OutputBuffer output)
    {
        if (framing == BodyFraming.Chunked) output.Write("0\r\n\r\n"u8);
    }

    /// <summary>
    /// A final response is 2xx–5xx: a 1xx from a handler would leave the client waiting for the real one and shift every
    /// later response on the connection.
    /// </summary>
    private static int FinalStatus(HttpResponse response) =>
        response.Status is >= 200 and <= 599 ? response.Status : StatusCodes.InternalServerError;

    /// <summary>Status line and every header but the framing ones (Content-Length, Transfer-Encoding) and the final CRLF.</summary>
    private void WriteHead(HttpResponse response, int status, bool close, HttpProtocol protocol, OutputBuffer output)
    {
        output.Write(StatusLines[status - 100] ?? StatusLine(status));

        var hasDate = false;
        var hasServer = false;
        var headers = response.Headers;
        for (var i = 0; i < headers.Count; i++) // indexed: no boxed enumerator per response
        {
            var header = headers[i];
            if (IsFramingHeader(header.Name) || !IsSafe(header)) continue;
            if (response.ContentType != null && header.Is("Content-Type")) continue; // the property wins
            hasDate |= header.Is("Date");
            hasServer |= header.Is("Server");
            WriteHeader(output, header.Name, header.Value);
        }
        if (!hasServer) output.Write(_serverLine);
        if (!hasDate) output.Write(_date.Current);
        if (response.ContentType is { } contentType && !contentType.AsSpan().ContainsAny(UnsafeValueChars))
            WriteHeader(output, "Content-Type", contentType);

        if (close) output.Write("Connection: close\r\n"u8);
        else if (protocol == HttpProtocol.Http10) output.Write("Connection: keep-alive\r\n"u8);
    }

    /// <summary>Small bodies are copied next to their head (one contiguous write); large ones are referenced.</summary>
    private static void WriteBody(OutputBuffer output, ByteString body)
    {
        if (body.Count > CopyBodyLimit) output.Append(body);
        else output.Write(body.ToReadOnlySpan());
    }

    /// <summary>True for headers the server owns; a handler's values for them are ignored.</summary>
    private static bool IsFramingHeader(string name) =>
        name.Length switch
        {
            10 => name.Equals("Connection", StringComparison.OrdinalIgnoreCase),
            14 => name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase),
            17 => name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase),
            _ => false,
        };

    /// <summary>A header whose name is not a token or whose value holds CR, LF or NUL would split the response: dropped.</summary>
    private static bool IsSafe(HttpHeader header)
    {
        return header.Name.Length > 0
               && !header.Name.AsSpan().ContainsAnyExcept(Parsing.HttpSyntax.TokenChars)
               && !header.Value.AsSpan().ContainsAny(UnsafeValueChars);
    }

    private static void WriteHeader(OutputBuffer output, string name, string value)
    {
        var size = name.Length + value.Length + 4;
        var span = output.GetSpan(size);
        var n = Encoding.Latin1.GetBytes(name, span);
        span[n++] = (byte)':';
        span[n++] = (byte)' ';
        n += Encoding.Latin1.GetBytes(value, span[n..]);
        span[n++] = (byte)'\r';
        span[n++] = (byte)'\n';
        output.Advance(n);
    }

    private static void WriteContentLength(OutputBuffer output, long length)
    {
        var prefix = "Content-Length: "u8;
        var span = output.GetSpan(prefix.Length + 22);
        prefix.CopyTo(span);
        Utf8Formatter.TryFormat(length, span[prefix.Length..], out var digits);
        var n = prefix.Length + digits;
        span[n++] = (byte)'\r';
        span[n++] = (byte)'\n';
        output.Advance(n);
    }

    private static byte[] StatusLine(int status) =>
        Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {StatusCodes.ReasonPhrase(status)}\r\n");

    private static byte[][] BuildStatusLines()
    {
        var lines = new byte[500][];
        for (var status = 100; status <= 599; status++) lines[status - 100] = StatusLine(status);
        return lines;
    }
}
