using System.Text;
using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Parsing;

namespace ActorHttp.Testing;

/// <summary>Requests in one line, for handler tests: <c>HttpRequests.Get("/items/7?full=1")</c>.</summary>
public static class HttpRequests
{
    /// <summary>A GET of <paramref name="target"/> with optional headers.</summary>
    public static HttpRequest Get(string target, params (string Name, string Value)[] headers) =>
        Create(HttpMethods.Get, target, ByteString.Empty, headers);

    /// <summary>A POST of a UTF-8 text body.</summary>
    public static HttpRequest Post(string target, string body, string contentType = "text/plain; charset=utf-8") =>
        Create(HttpMethods.Post, target, ByteString.FromString(body, Encoding.UTF8), [("Content-Type", contentType)]);

    /// <summary>A PUT of a UTF-8 text body.</summary>
    public static HttpRequest Put(string target, string body, string contentType = "text/plain; charset=utf-8") =>
        Create(HttpMethods.Put, target, ByteString.FromString(body, Encoding.UTF8), [("Content-Type", contentType)]);

    /// <summary>A DELETE of <paramref name="target"/>.</summary>
    public static HttpRequest Delete(string target) => Create(HttpMethods.Delete, target, ByteString.Empty, []);

    /// <summary>Any method, target, body and headers. A Host header is added unless given.</summary>
    public static HttpRequest Create(string method, string target, ByteString body, params (string Name, string Value)[] headers)
    {
        var q = target.IndexOf('?');
        var all = headers.Any(h => h.Name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            ? headers
            : [("Host", "localhost"), .. headers];
        return new HttpRequest
        {
            Method = method, // interned by HttpRequest.Method, so reference comparisons work
            Target = target,
            Path = q < 0 ? target : target[..q],
            Query = q < 0 ? "" : target[(q + 1)..],
            Headers = HttpHeaders.From(all),
            Body = body,
        };
    }

    /// <summary>
    /// Parses raw HTTP/1.1 text exactly as the server would (same parser, same limits), e.g.
    /// <c>Parse("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")</c>.
    /// </summary>
    /// <exception cref="FormatException">The text is not one complete, valid request; the message says why.</exception>
    public static HttpRequest Parse(string raw, ParserSettings? settings = null)
    {
        var bytes = Encoding.Latin1.GetBytes(raw);
        var parser = new HttpRequestParser(settings ?? ParserSettings.Default);
        var offset = 0;
        while (true)
        {
            var status = parser.Parse(bytes, offset, bytes.Length - offset, out var consumed);
            offset += consumed;
            switch (status)
            {
                case ParseStatus.RequestReady:
                    return parser.Request.Request;
                case ParseStatus.ContinueExpected:
                    continue;
                case ParseStatus.Error:
                    throw new FormatException($"the server would answer {parser.Error}");
                default:
                    throw new FormatException("incomplete request (a head must end with an empty line, a body must be complete)");
            }
        }
    }
}
