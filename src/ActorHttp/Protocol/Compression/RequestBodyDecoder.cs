using System.IO.Compression;
using Akka.IO;

namespace ActorHttp.Protocol.Compression;

/// <summary>
/// Removes the content codings of a request body (<c>Content-Encoding</c>: gzip, x-gzip, br, deflate, identity, several
/// applied in the order listed), stopping as soon as the decoded bytes pass a limit: a small body that would expand
/// to gigabytes (a zip bomb) costs no more memory than the limit.
/// </summary>
internal static class RequestBodyDecoder
{
    /// <summary>The codings decoded, for the <c>Accept-Encoding</c> of a 415.</summary>
    public const string Supported = "gzip, br, deflate";

    /// <summary>
    /// The request with its body decoded and <c>Content-Encoding</c> and <c>Content-Length</c> removed, or the error
    /// response: 413 past <paramref name="limit"/> decoded bytes, 415 (with <c>Accept-Encoding</c>) for an unknown
    /// coding, 400 for data that does not decode. Null error and the same request when it names no coding.
    /// </summary>
    public static HttpRequest Decode(HttpRequest request, long limit, out HttpResponse? error)
    {
        error = null;
        if (!request.Headers.TryGetValue("Content-Encoding", out var header)) return request;
        var codings = new List<ContentCoding>();
        foreach (var range in header.AsSpan().Split(','))
        {
            var token = header.AsSpan()[range].Trim();
            if (token.IsEmpty) continue;
            if (ContentCodings.Parse(token) is not { } coding)
            {
                error = HttpResponse.Error(StatusCodes.UnsupportedMediaType, $"content coding '{token}' is not supported") with
                {
                    Headers = [new HttpHeader("Accept-Encoding", Supported)],
                };
                return request;
            }
            if (coding != ContentCoding.Identity) codings.Add(coding);
        }

        var body = request.Body;
        try
        {
            for (var i = codings.Count - 1; i >= 0 && error == null; i--) body = DecodeOne(body, codings[i], limit, out error);
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException) // zlib says the one, Brotli the other
        {
            error = HttpResponse.Error(StatusCodes.BadRequest, $"the body is not valid {header.Trim()} ({e.Message.TrimEnd('.')})");
        }
        if (error != null) return request;
        var headers = HttpHeaders.From(request.Headers.Where(h => !h.Is("Content-Encoding") && !h.Is("Content-Length")));
        return request with { Body = body, Headers = headers };
    }

    private static ByteString DecodeOne(ByteString body, ContentCoding coding, long limit, out HttpResponse? error)
    {
        error = null;
        using var input = new MemoryStream(body.ToArray(), writable: false);
        using Stream decoder = coding switch
        {
            ContentCoding.Gzip => new GZipStream(input, CompressionMode.Decompress),
            ContentCoding.Brotli => new BrotliStream(input, CompressionMode.Decompress),
            _ => new ZLibStream(input, CompressionMode.Decompress),
        };
        // Read at most one byte past the limit: enough to know the body is too large.
        var cap = (int)Math.Min(limit + 1, Array.MaxLength);
        var buffer = new byte[(int)Math.Min(Math.Max(body.Count * 4L, 4096), cap)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length == cap) break;
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, cap));
            }
            var n = decoder.Read(buffer, length, buffer.Length - length);
            if (n == 0) break;
            length += n;
        }
        if (length > limit || (length == cap && decoder.ReadByte() >= 0))
        {
            error = HttpResponse.Error(StatusCodes.PayloadTooLarge, $"the body decodes to more than {limit} bytes");
            return ByteString.Empty;
        }
        return ByteString.FromBytes(buffer, 0, length);
    }
}
