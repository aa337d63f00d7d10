using System.Text;

namespace ActorHttp.Tests.Conformance;

/// <summary>
/// One raw request (or several, pipelined) and what the server must do with it.
/// </summary>
/// <param name="Name">Unique, short; the test case's display name.</param>
/// <param name="Raw">The bytes to send, as Latin-1 text ("\u0000" is the byte 0x00).</param>
/// <param name="Statuses">The final responses expected, in order (interim 1xx responses are skipped).</param>
/// <param name="Close">The server must close after those responses. When false, the connection must stay usable.</param>
/// <param name="Rfc">The sections that require (or allow) the behaviour.</param>
/// <param name="Why">Why this behaviour, in a line.</param>
public sealed record ConformanceCase(string Name, string Raw, int[] Statuses, bool Close, string Rfc, string Why)
{
    /// <summary>The body of the first response, when it is checked.</summary>
    public string? Body { get; init; }

    /// <summary>The first request is a HEAD: its response has no body.</summary>
    public bool FirstIsHead { get; init; }

    /// <summary>The client half-closes (FIN) after sending: for incomplete messages.</summary>
    public bool Fin { get; init; }

    /// <summary>
    /// Append a valid pipelined <c>GET /plaintext</c> to <see cref="Raw"/> in the same write. When the connection must
    /// close it must never be answered (nothing after an error or a close is processed); otherwise it must be answered
    /// 200, which proves the framing of what came before was read exactly.
    /// </summary>
    public bool Probe { get; init; } = true;

    public byte[] Bytes => Encoding.Latin1.GetBytes(Raw);

    public override string ToString() => Name;
}

/// <summary>
/// The conformance table: RFC 9112 / RFC 9110 server requirements and known request-smuggling shapes, each with the
/// required behaviour. Strict by default: where the RFCs allow leniency that has enabled smuggling elsewhere, reject.
/// Run over real sockets by <see cref="ConformanceTests"/>.
/// </summary>
public static class ConformanceCases
{
    public const string ProbeRequest = "GET /plaintext HTTP/1.1\r\nHost: probe\r\n\r\n";

    private const string H = "Host: h\r\n";

    private static string Get(string target = "/plaintext", string headers = "") => $"GET {target} HTTP/1.1\r\n{H}{headers}\r\n";
    private static string Head(string fields) => $"GET /plaintext HTTP/1.1\r\n{fields}\r\n";
    private static string Post(string headers, string body = "") => $"POST /echo HTTP/1.1\r\n{H}{headers}\r\n{body}";
    private static string Chunked(string body, string extraHeaders = "") => Post($"Transfer-Encoding: chunked\r\n{extraHeaders}", body);
    private static string Te(string te, string body, string extraHeaders = "") => Post($"Transfer-Encoding: {te}\r\n{extraHeaders}", body);
    private static string Cl(string cl, string body) => Post($"Content-Length: {cl}\r\n", body);

    /// <summary>A CL.TE / TE.CL body: as chunked it ends after "0", as Content-Length: 13 it carries a second request's start.</summary>
    private const string SmuggleBody = "0\r\n\r\nSMUGGLED";

    /// <summary>A complete request carried as a body.</summary>
    private const string Inner = "GET /admin HTTP/1.1\r\nHost: h\r\nX-Pad: 123456789\r\n\r\n";

    private static readonly List<ConformanceCase> Cases = [];

    public static IReadOnlyList<ConformanceCase> All { get; } = Build();

    private static void Add(string name, string raw, int[] statuses, bool close, string rfc, string why, string? body = null,
        bool head = false, bool fin = false, bool probe = true) =>
        Cases.Add(new ConformanceCase(name, raw, statuses, close, rfc, why) { Body = body, FirstIsHead = head, Fin = fin, Probe = probe && !fin });

    /// <summary>Rejected: answered <paramref name="status"/> with Connection: close, then closed; nothing after it answered.</summary>
    private static void Reject(string name, string raw, int status, string rfc, string why) => Add(name, raw, [status], close: true, rfc, why);

    /// <summary>Answered normally (<paramref name="status"/>), the connection stays usable.</summary>
    private static void Ok(string name, string raw, string rfc, string why, string? body = null, int status = 200, bool head = false) =>
        Add(name, raw, [status], close: false, rfc, why, body, head);

    private static IReadOnlyList<ConformanceCase> Build()
    {
        RequestLine();
        Versions();
        Methods();
        Targets();
        HostField();
        FieldSyntax();
        LineEndings();
        ContentLength();
        TransferEncoding();
        Smuggling();
        ChunkedFraming();
        Trailers();
        Limits();
        Expectations();
        UpgradeAndHttp2();
        Persistence();
        Incomplete();
        return Cases.ToArray();
    }

    // ------------------------------------------------------------------ request line (RFC 9112 §3)

    private static void RequestLine()
    {
        const string rfc = "RFC 9112 §3";
        Ok("request line: origin-form GET", Get(), "RFC 9112 §3.2.1", "the baseline", body: "Hello, World!");
        Ok("request line: CRLF before request line ignored", "\r\n" + Get(), "RFC 9112 §2.2", "a server SHOULD ignore at least one empty line before the request-line");
        Ok("request line: two CRLFs before request line ignored", "\r\n\r\n" + Get(), "RFC 9112 §2.2", "leftover CRLFs after a body are common");
        Reject("request line: many CRLFs before request line", string.Concat(Enumerable.Repeat("\r\n", 10)) + Get(), 400, "RFC 9112 §2.2", "ignoring empty lines is bounded: an endless stream of them is garbage");
        Reject("request line: bare LF before request line", "\n" + Get(), 400, "RFC 9112 §2.2", "bare LF is not a line terminator here (strict)");
        Reject("request line: leading space", " " + Get(), 400, rfc, "method is a token: no leading whitespace");
        Reject("request line: two spaces after method", "GET  /plaintext HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "exactly one SP between components (no whitespace-tolerant parsing)");
        Reject("request line: two spaces before version", "GET /plaintext  HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "exactly one SP between components");
        Reject("request line: tab separator", "GET\t/plaintext HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "SP only; HTAB, VT, FF or bare CR as separators are not accepted");
        Reject("request line: vertical tab separator", "GET\u000b/plaintext HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "SP only");
        Reject("request line: trailing space", "GET /plaintext HTTP/1.1 \r\n" + H + "\r\n", 400, rfc, "nothing after HTTP-version");
        Reject("request line: HTTP/0.9 simple request", "GET /plaintext\r\n\r\n", 400, "RFC 9112 §2.3, §3", "HTTP/0.9 has no version and no headers: not supported");
        Reject("request line: method only", "GET\r\n" + H + "\r\n", 400, rfc, "three components required");
        Reject("request line: empty target", "GET  HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "request-target is not empty");
        Reject("request line: NUL before method", "\u0000GET /plaintext HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "NUL is never valid in a request line");
        Reject("request line: garbage", "\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003\r\n\r\n", 400, rfc, "a TLS ClientHello on the cleartext port is not HTTP");
    }

    // ------------------------------------------------------------------ versions (RFC 9112 §2.3, RFC 9110 §2.5)

    private static void Versions()
    {
        Ok("version: HTTP/1.0 without keep-alive answered and closed", "GET /plaintext HTTP/1.0\r\n\r\n", "RFC 9112 §9.3", "HTTP/1.0 does not persist unless keep-alive is asked", status: 200);
        Cases[^1] = Cases[^1] with { Close = true };
        Reject("version: HTTP/1.2", "GET /plaintext HTTP/1.2\r\n" + H + "\r\n", 505, "RFC 9110 §15.6.6, RFC 9112 §2.3", "strict: only 1.0 and 1.1 are implemented (§2.3 lets 1.x be treated as 1.1; we refuse rather than guess)");
        Reject("version: HTTP/2.0 on an HTTP/1 connection", "GET /plaintext HTTP/2.0\r\n" + H + "\r\n", 505, "RFC 9110 §15.6.6", "HTTP/2 is not spoken over HTTP/1.1 framing");
        Reject("version: HTTP/3.0", "GET /plaintext HTTP/3.0\r\n" + H + "\r\n", 505, "RFC 9110 §15.6.6", "major version not supported");
        Reject("version: HTTP/0.9 declared", "GET /plaintext HTTP/0.9\r\n" + H + "\r\n", 505, "RFC 9110 §15.6.6", "major version not supported");
        Reject("version: lowercase http/1.1", "GET /plaintext http/1.1\r\n" + H + "\r\n", 400, "RFC 9112 §2.3", "HTTP-name is case-sensitive");
        Reject("version: mixed case Http/1.1", "GET /plaintext Http/1.1\r\n" + H + "\r\n", 400, "RFC 9112 §2.3", "HTTP-name is case-sensitive");
        Reject("version: HTTP/1", "GET /plaintext HTTP/1\r\n" + H + "\r\n", 400, "RFC 9112 §2.3", "HTTP-version = HTTP-name \"/\" DIGIT \".\" DIGIT");
        Reject("version: HTTP/1.10", "GET /plaintext HTTP/1.10\r\n" + H + "\r\n", 400, "RFC 9112 §2.3", "one digit per part");
        Reject("version: HTTP/01.1", "GET /plaintext HTTP/01.1\r\n" + H + "\r\n", 400, "RFC 9112 §2.3", "one digit per part");
        Reject("version: space inside", "GET /plaintext HTTP/ 1.1\r\n" + H + "\r\n", 400, "RFC 9112 §2.3", "no whitespace inside the version");
        Reject("version: NUL after version", "GET /plaintext HTTP/1.1\u0000\r\n" + H + "\r\n", 400, "RFC 9112 §2.3", "nothing after HTTP-version");
    }

    // ------------------------------------------------------------------ methods (RFC 9112 §3.1, RFC 9110 §9)

    private static void Methods()
    {
        const string rfc = "RFC 9112 §3.1, RFC 9110 §5.6.2";
        Reject("method: parenthesis", "G(ET /plaintext HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "method is a token");
        Reject("method: slash", "GE/T /plaintext HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "method is a token");
        Reject("method: NUL", "GE\u0000T /plaintext HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "method is a token");
        Reject("method: non-ASCII", "G\u00c9T /plaintext HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "method is a token (ASCII only)");
        Reject("method: colon", "GET: /plaintext HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "method is a token");
        Reject("method: over-long (33 bytes)", new string('M', 33) + " /plaintext HTTP/1.1\r\n" + H + "\r\n", 400, "RFC 9112 §3",
            "longer than max-method-length: refused with 400 before it is looked up (§3 suggests 501; either way nothing is processed)");
        Reject("method: 100 KB", new string('M', 100 * 1024) + " /plaintext HTTP/1.1\r\n" + H + "\r\n", 400, "RFC 9112 §3, RFC 9110 §15.5.1",
            "refused as a method once max-method-length is passed, not with 414: the target is not what is long");
        Reject("method: over-long, never ending", new string('M', 12 * 1024), 400, "RFC 9112 §3",
            "400 as soon as max-method-length is passed, without waiting for a space or the line's end");
        Ok("method: lowercase get is another method", "get /plaintext HTTP/1.1\r\n" + H + "\r\n", "RFC 9110 §9.1", "methods are case-sensitive; unknown ones are 501", status: 501);
        Ok("method: unknown method", "FOO /plaintext HTTP/1.1\r\n" + H + "\r\n", "RFC 9110 §9.1", "an unrecognized method SHOULD be 501; framing is intact", status: 501);
        Ok("method: known but not routed", "PATCH /plaintext HTTP/1.1\r\n" + H + "\r\n", "RFC 9110 §15.5.6", "405 with Allow", status: 405);
        Ok("method: TRACE is not echoed", "TRACE /plaintext HTTP/1.1\r\n" + H + "\r\n", "RFC 9110 §9.3.8", "TRACE is not implemented by default (cross-site tracing)", status: 405);
        Ok("method: OPTIONS lists Allow", "OPTIONS /plaintext HTTP/1.1\r\n" + H + "\r\n", "RFC 9110 §9.3.7", "204 with Allow", status: 204);
        Ok("method: HEAD answered without body", "HEAD /plaintext HTTP/1.1\r\n" + H + "\r\n", "RFC 9110 §9.3.2", "HEAD gets GET's headers, no content", head: true);
        Reject("method: CONNECT", "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 501, "RFC 9110 §9.3.6", "no tunnelling: 501, and the connection closes (what follows would be tunnel bytes)");
    }

    // ------------------------------------------------------------------ request-target (RFC 9112 §3.2, RFC 3986)

    private static void Targets()
    {
        const string rfc = "RFC 9112 §3.2, RFC 3986 §3.3";
        Ok("target: percent-encoded UTF-8", Get("/items/caf%C3%A9"), "RFC 3986 §2.1", "valid percent-encoding decodes once", body: "café");
        Ok("target: query kept", Get("/plaintext?a=1&b=%20"), "RFC 9112 §3.2.1", "origin-form with query");
        Reject("target: NUL", "GET /plain\u0000text HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "NUL is not a URI character");
        Reject("target: %00", Get("/items/a%00b"), 400, "RFC 3986 §2.1", "an encoded NUL in the path truncates C strings downstream");
        Reject("target: %zz", Get("/items/a%zz"), 400, "RFC 3986 §2.1", "invalid percent-encoding");
        Reject("target: %4 truncated", Get("/items/a%4"), 400, "RFC 3986 §2.1", "invalid percent-encoding");
        Reject("target: % at end", Get("/items/a%"), 400, "RFC 3986 §2.1", "invalid percent-encoding");
        Reject("target: %zz in query", Get("/plaintext?x=%zz"), 400, "RFC 3986 §2.1", "invalid percent-encoding anywhere in the target");
        Reject("target: overlong UTF-8 %C0%AF", Get("/items/%C0%AF"), 400, "RFC 3629 §3", "overlong '/' hides a path separator from filters");
        Reject("target: overlong UTF-8 %C0%AE%C0%AE", Get("/items/%C0%AE%C0%AE"), 400, "RFC 3629 §3", "overlong '..' (traversal)");
        Reject("target: overlong UTF-8 %E0%80%AF", Get("/items/%E0%80%AF"), 400, "RFC 3629 §3", "three-byte overlong '/'");
        Reject("target: UTF-16 surrogate %ED%A0%80", Get("/items/%ED%A0%80"), 400, "RFC 3629 §3", "surrogates are not valid UTF-8");
        Reject("target: invalid UTF-8 %FF", Get("/items/%FF"), 400, "RFC 3629 §3", "0xFF never appears in UTF-8");
        Reject("target: raw non-ASCII bytes", "GET /caf\u00c3\u00a9 HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "bytes above 0x7F must be percent-encoded");
        Reject("target: space", "GET /a b HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "SP ends the target: what follows is not a version");
        Reject("target: fragment", Get("/plaintext#frag"), 400, rfc, "fragments are not sent");
        Reject("target: backslash", Get("/a\\b"), 400, rfc, "not a URI character (path confusion on Windows back ends)");
        Reject("target: angle brackets", Get("/a<script>"), 400, rfc, "not URI characters");
        Reject("target: DEL", Get("/a\u007f"), 400, rfc, "control character");
        Reject("target: relative path", Get("plaintext"), 400, rfc, "origin-form starts with '/'");
        Reject("target: asterisk for GET", Get("*"), 400, "RFC 9112 §3.2.4", "asterisk-form only for OPTIONS");
        Ok("target: asterisk for OPTIONS", "OPTIONS * HTTP/1.1\r\n" + H + "\r\n", "RFC 9112 §3.2.4, RFC 9110 §9.3.7", "the server itself answers, with Allow listing every method it serves", status: 204);
        Reject("target: asterisk for POST", "POST * HTTP/1.1\r\n" + H + "Content-Length: 0\r\n\r\n", 400, "RFC 9112 §3.2.4", "asterisk-form only for OPTIONS");
        Reject("target: authority-form for GET", Get("h:80"), 400, "RFC 9112 §3.2.3", "authority-form only for CONNECT");
        Reject("target: over-long (9 KB)", Get("/" + new string('a', 9 * 1024)), 414, "RFC 9112 §3, RFC 9110 §15.5.15", "longer than max-request-line-length (8 KB)");
        Reject("target: over-long, never ending", "GET /" + new string('a', 12 * 1024), 414, "RFC 9112 §3", "414 as soon as the limit is passed, without waiting for the line's end");
        Ok("target: absolute-form matching Host", "GET http://h/plaintext HTTP/1.1\r\nHost: h\r\n\r\n", "RFC 9112 §3.2.2", "absolute-form is accepted");
        Ok("target: absolute-form scheme and host case-insensitive", "GET HTTP://H/plaintext HTTP/1.1\r\nHost: h\r\n\r\n", "RFC 3986 §6.2.2.1", "scheme and host compare case-insensitively");
        Reject("target: absolute-form with userinfo", "GET http://u:p@h/plaintext HTTP/1.1\r\nHost: h\r\n\r\n", 400, "RFC 9110 §4.2.4", "userinfo is deprecated and used in phishing/confusion");
        Reject("target: absolute-form empty authority", "GET http:///plaintext HTTP/1.1\r\nHost: h\r\n\r\n", 400, "RFC 9110 §4.2.1", "http URIs need a host");
        Reject("target: absolute-form other scheme", "GET ftp://h/plaintext HTTP/1.1\r\nHost: h\r\n\r\n", 400, "RFC 9112 §3.2.2", "only http and https targets");
    }

    // ------------------------------------------------------------------ Host (RFC 9112 §3.2, RFC 9110 §7.2)

    private static void HostField()
    {
        const string rfc = "RFC 9112 §3.2";
        Reject("Host: missing in HTTP/1.1", Head(""), 400, rfc, "a server MUST respond 400 to an HTTP/1.1 request without Host");
        Reject("Host: duplicated, same value", Head("Host: h\r\nHost: h\r\n"), 400, rfc, "MUST respond 400 to more than one Host");
        Reject("Host: duplicated, different values", Head("Host: h\r\nHost: evil\r\n"), 400, rfc, "two Hosts: which one routes and which one is cached differs between hops");
        Reject("Host: duplicated, different name case", Head("Host: h\r\nhOsT: evil\r\n"), 400, rfc, "field names are case-insensitive");
        Reject("Host: comma list", Head("Host: h, evil\r\n"), 400, rfc, "a Host is one uri-host[:port], not a list");
        Reject("Host: space inside", Head("Host: h evil\r\n"), 400, rfc, "invalid field value");
        Reject("Host: path", Head("Host: h/evil\r\n"), 400, rfc, "invalid field value");
        Reject("Host: userinfo", Head("Host: u@h\r\n"), 400, rfc, "invalid field value");
        Reject("Host: NUL", Head("Host: h\u0000evil\r\n"), 400, rfc, "invalid field value");
        Reject("Host: space before colon", Head("Host : h\r\n"), 400, "RFC 9112 §5.1", "no whitespace between field name and colon");
        Reject("Host: comma without space", Head("Host: h,evil\r\n"), 400, "RFC 9110 §5.3, §7.2", "strict: a comma is what merging two Host lines leaves; no host name has one");
        Reject("Host: non-numeric port", Head("Host: h:abc\r\n"), 400, "RFC 9110 §7.2, RFC 3986 §3.2.3", "port = *DIGIT");
        Reject("Host: two ports", Head("Host: h:80:81\r\n"), 400, "RFC 9110 §7.2", "one optional port");
        Reject("Host: port over five digits", Head("Host: h:123456\r\n"), 400, "RFC 9110 §7.2", "strict: no port has six digits");
        Reject("Host: only a port", Head("Host: :80\r\n"), 400, "RFC 9110 §7.2", "uri-host is missing");
        Reject("Host: unclosed IPv6 bracket", Head("Host: [::1\r\n"), 400, "RFC 3986 §3.2.2", "IP-literal = \"[\" IPv6address \"]\"");
        Reject("Host: invalid IPv6 literal", Head("Host: [::g]\r\n"), 400, "RFC 3986 §3.2.2", "not an IPv6 address");
        Reject("Host: IPv4 in brackets", Head("Host: [127.0.0.1]\r\n"), 400, "RFC 3986 §3.2.2", "brackets are for IPv6 only");
        Reject("Host: junk after IPv6 literal", Head("Host: [::1]x\r\n"), 400, "RFC 3986 §3.2.2", "only \":\" port may follow");
        Reject("Host: IPv6 zone identifier", Head("Host: [fe80::1%25eth0]\r\n"), 400, "RFC 3986 §3.2.2", "strict: zone identifiers are local to the client");
        Reject("Host: invalid percent-encoding", Head("Host: h%zz\r\n"), 400, "RFC 3986 §2.1", "invalid percent-encoding");
        Reject("Host: bracket in reg-name", Head("Host: h]\r\n"), 400, "RFC 3986 §3.2.2", "brackets only around an IP literal");
        Ok("Host: empty port", Head("Host: h:\r\n"), "RFC 3986 §3.2.3", "port = *DIGIT may be empty");
        Ok("Host: IPv4 with port", Head("Host: 127.0.0.1:8080\r\n"), "RFC 9110 §7.2", "IPv4address");
        Ok("Host: percent-encoded reg-name", Head("Host: h%41\r\n"), "RFC 3986 §3.2.2", "pct-encoded is part of reg-name");
        Ok("Host: empty value", Head("Host:\r\n"), rfc, "an empty Host is allowed when the target has no authority");
        Ok("Host: with port", Head("Host: h:8080\r\n"), "RFC 9110 §7.2", "uri-host [\":\" port]");
        Ok("Host: IPv6 literal", Head("Host: [::1]:8080\r\n"), "RFC 9110 §7.2", "IP-literal");
        Ok("Host: not required in HTTP/1.0", "GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", rfc, "the requirement is for HTTP/1.1");
        Reject("Host: mismatching absolute-form", "GET http://h/plaintext HTTP/1.1\r\nHost: evil\r\n\r\n", 400, "RFC 9112 §3.2.2",
            "strict: §3.2.2 says to ignore Host here; we refuse, since a hop that routes on Host would see another request (cache poisoning)");
        Reject("Host: mismatching absolute-form port", "GET http://h:8080/plaintext HTTP/1.1\r\nHost: h\r\n\r\n", 400, "RFC 9112 §3.2.2", "strict: authority and Host must agree");
        Reject("Host: missing with absolute-form in HTTP/1.1", "GET http://h/plaintext HTTP/1.1\r\n\r\n", 400, rfc, "Host is required in HTTP/1.1 even with absolute-form");
    }

    // ------------------------------------------------------------------ field syntax (RFC 9112 §5, RFC 9110 §5.5)

    private static void FieldSyntax()
    {
        const string rfc = "RFC 9112 §5.1";
        const string values = "RFC 9110 §5.5";
        Reject("field: space before colon", Get(headers: "X-A : b\r\n"), 400, rfc, "a server MUST reject whitespace between name and colon");
        Reject("field: tab before colon", Get(headers: "X-A\t: b\r\n"), 400, rfc, "a server MUST reject whitespace between name and colon");
        Reject("field: no colon", Get(headers: "X-A b\r\n"), 400, rfc, "field-line = field-name \":\" OWS field-value OWS");
        Reject("field: empty name", Get(headers: ": b\r\n"), 400, rfc, "field-name is a non-empty token");
        Reject("field: non-token name", Get(headers: "X[A]: b\r\n"), 400, "RFC 9110 §5.1", "field-name is a token");
        Reject("field: non-ASCII name", Get(headers: "X-\u00e9: b\r\n"), 400, "RFC 9110 §5.1", "field-name is a token (ASCII only): lookalike names");
        Reject("field: NUL in name", Get(headers: "X-\u0000A: b\r\n"), 400, "RFC 9110 §5.1", "field-name is a token");
        Reject("field: NUL in value", Get(headers: "X-A: a\u0000b\r\n"), 400, values, "NUL MUST be rejected or replaced: we reject");
        Reject("field: DEL in value", Get(headers: "X-A: a\u007fb\r\n"), 400, values, "DEL is not a field-vchar");
        Reject("field: control 0x01 in value", Get(headers: "X-A: a\u0001b\r\n"), 400, values, "control characters are not field-vchars");
        Reject("field: vertical tab in value", Get(headers: "X-A: a\u000bb\r\n"), 400, values, "VT is not a field-vchar");
        Reject("field: form feed in value", Get(headers: "X-A: a\u000cb\r\n"), 400, values, "FF is not a field-vchar");
        Reject("field: escape in value", Get(headers: "X-A: \u001b[31m\r\n"), 400, values, "terminal escapes in logs");
        Ok("field: obs-text in value", Get(headers: "X-A: caf\u00e9\r\n"), values, "obs-text (0x80-0xFF) is allowed in values");
        Ok("field: tabs around value", Get(headers: "X-A:\t value \t\r\n"), rfc, "OWS around the value is not part of it");
        Ok("field: empty value", Get(headers: "X-A:\r\n"), values, "field-value may be empty");
        Ok("field: colon in value", Get(headers: "X-A: b:c:d\r\n"), rfc, "only the first colon separates");
        Reject("field: obs-fold with space", Get(headers: "X-A: a\r\n b\r\n"), 400, "RFC 9112 §5.2", "a server MUST reject obs-fold (or replace it); we reject");
        Reject("field: obs-fold with tab", Get(headers: "X-A: a\r\n\tb\r\n"), 400, "RFC 9112 §5.2", "obs-fold rejected");
        Reject("field: whitespace before first field", "GET /plaintext HTTP/1.1\r\n " + H + "\r\n", 400, "RFC 9112 §2.2", "whitespace between start-line and first field MUST be rejected or ignored: rejected");
        Reject("field: obs-fold hiding a Host", "GET /plaintext HTTP/1.1\r\nX-A: a\r\n Host: evil\r\n" + H + "\r\n", 400, "RFC 9112 §5.2", "a folded line must never be read as a field");
    }

    // ------------------------------------------------------------------ line endings (RFC 9112 §2.2)

    private static void LineEndings()
    {
        const string rfc = "RFC 9112 §2.2";
        Reject("CRLF: bare LF line endings", "GET /plaintext HTTP/1.1\nHost: h\n\n", 400, rfc, "strict: bare LF is not accepted as a line terminator anywhere");
        Reject("CRLF: bare LF after request line", "GET /plaintext HTTP/1.1\n" + H + "\r\n", 400, rfc, "strict: bare LF");
        Reject("CRLF: bare LF after a field", "GET /plaintext HTTP/1.1\r\nHost: h\n\r\n", 400, rfc, "strict: bare LF");
        Reject("CRLF: bare LF as the empty line", "GET /plaintext HTTP/1.1\r\nHost: h\r\n\n", 400, rfc, "strict: bare LF");
        Reject("CRLF: bare CR in request line", "GET /plaintext\rX HTTP/1.1\r\n" + H + "\r\n", 400, rfc, "a bare CR MUST be rejected or replaced by SP: rejected");
        Reject("CRLF: bare CR in field value", Get(headers: "X-A: a\rb\r\n"), 400, rfc, "bare CR in a field value");
        Reject("CRLF: bare CR ending a field line", Get(headers: "X-A: a\rTransfer-Encoding: chunked\r\n"), 400, rfc, "a bare CR must not end a line (CR-only splitting is a smuggling vector)");
        Reject("CRLF: CR CR LF", "GET /plaintext HTTP/1.1\r\r\n" + H + "\r\n", 400, rfc, "bare CR before CRLF");
        Reject("CRLF: LF CR", "GET /plaintext HTTP/1.1\n\r" + H + "\r\n", 400, rfc, "LF CR is not CRLF");
        Reject("CRLF: bare LF hiding a field", "GET /plaintext HTTP/1.1\r\nX-A: a\nTransfer-Encoding: chunked\r\n" + H + "\r\n", 400, rfc, "a bare LF must never start a new field");
    }

    // ------------------------------------------------------------------ Content-Length (RFC 9110 §8.6, RFC 9112 §6.2-6.3)

    private static void ContentLength()
    {
        const string rfc = "RFC 9110 §8.6, RFC 9112 §6.3";
        Ok("CL: body echoed", Cl("5", "hello"), "RFC 9112 §6.2", "Content-Length frames the body", body: "hello");
        Ok("CL: zero", Cl("0", ""), "RFC 9112 §6.2", "an empty body", body: "");
        Ok("CL: field name case-insensitive", Post("cOnTeNt-LeNgTh: 5\r\n", "hello"), "RFC 9110 §5.1", "field names are case-insensitive", body: "hello");
        Ok("CL: OWS around value", Post("Content-Length:  5 \t\r\n", "hello"), "RFC 9112 §5.1", "OWS is not part of the value", body: "hello");
        Ok("CL: body on GET", "GET /plaintext HTTP/1.1\r\n" + H + "Content-Length: 5\r\n\r\nhello", "RFC 9110 §9.3.1", "a GET body is read (and ignored), keeping the framing");
        Ok("CL: body holding a request is a body", Cl(Inner.Length.ToString(), Inner), "RFC 9112 §6.2",
            "bytes inside the declared length are body, never a request", body: Inner);
        Reject("CL: duplicate, same value", Post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), 400, rfc, "strict: §8.6 allows merging identical values; we reject all duplicates");
        Reject("CL: duplicate, different values", Post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"), 400, rfc, "MUST be treated as an unrecoverable error");
        Reject("CL: comma-joined same values", Cl("5, 5", "hello"), 400, rfc, "strict: a list is rejected even when its members agree");
        Reject("CL: comma-joined different values", Cl("5, 6", "hello!"), 400, rfc, "unrecoverable framing error");
        Reject("CL: comma without space", Cl("5,5", "hello"), 400, rfc, "a list");
        Reject("CL: plus sign", Cl("+5", "hello"), 400, rfc, "Content-Length = 1*DIGIT: no sign");
        Reject("CL: minus sign", Cl("-5", "hello"), 400, rfc, "no sign");
        Reject("CL: leading zero", Cl("05", "hello"), 400, rfc, "strict: leading zeros are parsed differently (octal) by some hops");
        Reject("CL: many leading zeros", Cl("0000005", "hello"), 400, rfc, "strict: leading zeros");
        Reject("CL: 00", Cl("00", ""), 400, rfc, "strict: leading zeros");
        Reject("CL: hex", Cl("0x5", "hello"), 400, rfc, "digits only");
        Reject("CL: decimal point", Cl("5.0", "hello"), 400, rfc, "digits only");
        Reject("CL: exponent", Cl("5e0", "hello"), 400, rfc, "digits only");
        Reject("CL: inner space", Cl("5 5", "hello"), 400, rfc, "digits only");
        Reject("CL: empty", Cl("", ""), 400, rfc, "1*DIGIT: at least one");
        Reject("CL: letters", Cl("abc", ""), 400, rfc, "digits only");
        Reject("CL: NUL after digits", Cl("5\u0000", "hello"), 400, "RFC 9110 §5.5", "NUL in a value");
        Reject("CL: vertical tab after digits", Cl("5\u000b", "hello"), 400, "RFC 9110 §5.5", "VT is not OWS");
        Reject("CL: 20 digits (overflow)", Cl("18446744073709551621", "hello"), 400, rfc, "an overflowing length wraps around on some hops");
        Reject("CL: over max-body-size", Cl("8388609", ""), 413, "RFC 9110 §15.5.14", "declared body over max-body-size (8 MB): refused before it is read");
        Reject("CL: huge but valid number", Cl("999999999999999999", ""), 413, "RFC 9110 §15.5.14", "over max-body-size");
        Reject("CL: space before colon", Post("Content-Length : 5\r\n", "hello"), 400, "RFC 9112 §5.1", "whitespace before colon");
        Reject("CL: in HTTP/1.0 with TE", "POST /echo HTTP/1.0\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "RFC 9112 §6.1", "TE in HTTP/1.0 and CL with TE");
    }

    // ------------------------------------------------------------------ Transfer-Encoding (RFC 9112 §6.1, §6.3)

    private static void TransferEncoding()
    {
        const string rfc = "RFC 9112 §6.1, §6.3";
        Ok("TE: chunked", Chunked("5\r\nhello\r\n0\r\n\r\n"), "RFC 9112 §7.1", "the baseline chunked body", body: "hello");
        Ok("TE: CHUNKED uppercase", Te("CHUNKED", "5\r\nhello\r\n0\r\n\r\n"), "RFC 9112 §7", "coding names are case-insensitive", body: "hello");
        Ok("TE: tab before value", Post("Transfer-Encoding:\tchunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), "RFC 9112 §5.1", "HTAB is OWS", body: "hello");
        Ok("TE: trailing space", Te("chunked ", "5\r\nhello\r\n0\r\n\r\n"), "RFC 9112 §5.1", "trailing OWS", body: "hello");
        Reject("TE: gzip, chunked", Te("gzip, chunked", "5\r\nhello\r\n0\r\n\r\n"), 501, "RFC 9112 §6.1", "a coding we do not implement: 501, and the body cannot be skipped: close");
        Reject("TE: identity, chunked", Te("identity, chunked", "5\r\nhello\r\n0\r\n\r\n"), 501, "RFC 9112 §6.1", "identity is no longer a transfer coding: unknown, 501");
        Reject("TE: chunked, gzip", Te("chunked, gzip", "5\r\nhello\r\n0\r\n\r\n"), 400, rfc, "chunked MUST be final; otherwise the length cannot be determined: 400 and close");
        Reject("TE: chunked, chunked", Te("chunked, chunked", "0\r\n\r\n"), 400, "RFC 9112 §6.1", "chunked MUST NOT be applied more than once");
        Reject("TE: chunked twice in two fields", Post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 400, "RFC 9112 §6.1", "fields combine into one list: chunked twice");
        Reject("TE: identity", Te("identity", "0\r\n\r\n"), 400, rfc, "no chunked: the length cannot be determined");
        Reject("TE: gzip only", Te("gzip", "hello"), 400, rfc, "no chunked: length unknown");
        Reject("TE: xchunked", Te("xchunked", "0\r\n\r\n"), 400, rfc, "not chunked");
        Reject("TE: quoted chunked", Te("\"chunked\"", "0\r\n\r\n"), 400, rfc, "not a token");
        Reject("TE: chunked with parameter", Te("chunked;q=1", "0\r\n\r\n"), 400, rfc, "chunked takes no parameters");
        Reject("TE: empty", Te("", "0\r\n\r\n"), 400, rfc, "empty coding list");
        Reject("TE: leading comma", Te(", chunked", "0\r\n\r\n"), 400, rfc, "strict: empty list elements rejected");
        Reject("TE: NUL inside", Te("chu\u0000nked", "0\r\n\r\n"), 400, "RFC 9110 §5.5", "NUL in a value");
        Reject("TE: vertical tab before", Te("\u000bchunked", "0\r\n\r\n"), 400, "RFC 9110 §5.5", "VT is not OWS (TE.TE obfuscation)");
        Reject("TE: form feed after", Te("chunked\u000c", "0\r\n\r\n"), 400, "RFC 9110 §5.5", "FF is not OWS (TE.TE obfuscation)");
        Reject("TE: in HTTP/1.0", "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400, "RFC 9112 §6.1",
            "an HTTP/1.0 message with TE MUST be treated as faulty framing, and the connection closed");
        Reject("TE: space before colon", Post("Transfer-Encoding : chunked\r\n", "0\r\n\r\n"), 400, "RFC 9112 §5.1", "whitespace before colon (TE.TE obfuscation)");
        Reject("TE: name with non-ASCII lookalike", Post("Transfer-Encod\u00c4\u00b1ng: chunked\r\n", "0\r\n\r\n"), 400, "RFC 9110 §5.1", "not a token (dotless i lookalike)");
        Reject("TE: name split by bare CR", Post("Transfer\r-Encoding: chunked\r\n", "0\r\n\r\n"), 400, "RFC 9112 §2.2", "bare CR");
        Reject("TE: name then folded value", Post("Transfer-Encoding:\r\n chunked\r\n", "0\r\n\r\n"), 400, "RFC 9112 §5.2", "obs-fold (TE.TE obfuscation)");
        Ok("TE: lookalike name is another field", Post("Transfer-Encoding-X: chunked\r\nContent-Length: 5\r\n", "hello"), "RFC 9110 §5.1",
            "a different field name is not Transfer-Encoding: Content-Length frames", body: "hello");
    }

    // ------------------------------------------------------------------ request smuggling shapes (RFC 9112 §6.3, §11.2)

    private static void Smuggling()
    {
        const string rfc = "RFC 9112 §6.3, §11.2";
        Reject("smuggle: CL.TE", Post("Content-Length: 13\r\nTransfer-Encoding: chunked\r\n", SmuggleBody), 400, rfc,
            "both framings: MAY be rejected, and a server that does not MUST close; strict: rejected and closed");
        Reject("smuggle: TE.CL", Post("Transfer-Encoding: chunked\r\nContent-Length: 13\r\n", SmuggleBody), 400, rfc, "both framings, reversed order");
        Reject("smuggle: CL 0 with TE", Post("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), 400, rfc, "both framings");
        Reject("smuggle: TE.TE second TE garbage", Post("Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\nContent-Length: 13\r\n", SmuggleBody), 400, rfc, "TE.TE: both framings");
        Reject("smuggle: TE.TE xchunked with CL", Post("Transfer-Encoding: xchunked\r\nContent-Length: 13\r\n", SmuggleBody), 400, rfc, "TE.TE: both framings");
        Reject("smuggle: TE.TE space before colon with CL", Post("Transfer-Encoding : chunked\r\nContent-Length: 13\r\n", SmuggleBody), 400, "RFC 9112 §5.1", "TE.TE");
        Reject("smuggle: TE.TE tab value with CL", Post("Transfer-Encoding:\tchunked\r\nContent-Length: 13\r\n", SmuggleBody), 400, rfc, "TE.TE: tab is OWS, so both framings");
        Reject("smuggle: TE.TE leading space line with CL", Post("Content-Length: 13\r\n Transfer-Encoding: chunked\r\n", SmuggleBody), 400, "RFC 9112 §5.2", "TE.TE: obs-fold");
        Reject("smuggle: TE.TE bare LF before TE with CL", Post("X: X\nTransfer-Encoding: chunked\r\nContent-Length: 13\r\n", SmuggleBody), 400, "RFC 9112 §2.2", "TE.TE: bare LF");
        Reject("smuggle: TE.TE newline in name with CL", Post("Transfer-Encoding\r\n: chunked\r\nContent-Length: 13\r\n", SmuggleBody), 400, "RFC 9112 §5.1", "TE.TE: a name on its own line");
        Reject("smuggle: TE.TE identity then chunked with CL", Post("Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\nContent-Length: 13\r\n", SmuggleBody), 400, rfc, "TE.TE: both framings");
        Reject("smuggle: TE.TE chunked then identity", Post("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", SmuggleBody), 400, rfc, "chunked not final");
        Reject("smuggle: CL.CL", Post("Content-Length: 13\r\nContent-Length: 0\r\n", SmuggleBody), 400, rfc, "two lengths");
        Ok("smuggle: CL shorter than sent, rest is the next request", Cl("5", "hello" + Get("/items/next")), "RFC 9112 §6.2, §9.3.2",
            "what follows the declared length is the next pipelined request, answered in order", body: "hello");
        Cases[^1] = Cases[^1] with { Statuses = [200, 200] };
        Ok("smuggle: chunk data holding a request", Chunked($"{Inner.Length:x}\r\n{Inner}\r\n0\r\n\r\n"), "RFC 9112 §7.1",
            "bytes inside a chunk are body", body: Inner);
        Ok("smuggle: misspelled TE ignored, no body", "POST /echo HTTP/1.1\r\n" + H + "Transfer_Encoding: chunked\r\nContent-Length: 0\r\n\r\n", "RFC 9110 §5.1",
            "an unknown field does not frame; Content-Length 0 does", body: "");
        Reject("smuggle: chunked body after a bodiless request", "GET /plaintext HTTP/1.1\r\n" + H + "\r\n5\r\nhello\r\n0\r\n\r\n", 400, "RFC 9112 §6.3",
            "without framing fields there is no body: the chunk is read as the next request line and rejected");
        Cases[^1] = Cases[^1] with { Statuses = [200, 400] };
    }

    // ------------------------------------------------------------------ chunked framing (RFC 9112 §7.1)

    private static void ChunkedFraming()
    {
        const string rfc = "RFC 9112 §7.1";
        const string ext = "RFC 9112 §7.1.1";
        Ok("chunked: several chunks", Chunked("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), rfc, "concatenated", body: "abcde");
        Ok("chunked: uppercase hex", Chunked("A\r\n0123456789\r\n0\r\n\r\n"), rfc, "HEXDIG is case-insensitive", body: "0123456789");
        Ok("chunked: leading zeros in size", Chunked("005\r\nhello\r\n000\r\n\r\n"), rfc, "1*HEXDIG allows leading zeros (bounded by the 15-digit limit)", body: "hello");
        Ok("chunked: extension", Chunked("5;name=value\r\nhello\r\n0\r\n\r\n"), ext, "extensions are ignored", body: "hello");
        Ok("chunked: extension without value", Chunked("5;name\r\nhello\r\n0\r\n\r\n"), ext, "chunk-ext-val is optional", body: "hello");
        Ok("chunked: quoted extension with semicolon", Chunked("5;n=\"a;b\\\"c\"\r\nhello\r\n0\r\n\r\n"), ext, "quoted-string with escapes", body: "hello");
        Ok("chunked: BWS around extension", Chunked("5 ; n = v\r\nhello\r\n0\r\n\r\n"), ext, "BWS is allowed around ';' and '='", body: "hello");
        Ok("chunked: empty body", Chunked("0\r\n\r\n"), rfc, "last-chunk only", body: "");
        Reject("chunked: size overflow 16 digits", Chunked("ffffffffffffffff\r\nhello\r\n0\r\n\r\n"), 400, rfc, "a size that overflows 64 bits wraps on some hops: rejected past 15 digits");
        Reject("chunked: size overflow 17 digits", Chunked("10000000000000005\r\nhello\r\n0\r\n\r\n"), 400, rfc, "overflow: 2^64 + 5 would read as 5");
        Reject("chunked: size over max-body-size", Chunked("800001\r\n"), 413, "RFC 9110 §15.5.14", "a chunk larger than max-body-size is refused before its data");
        Reject("chunked: 15 digits over max-body-size", Chunked("fffffffffffffff\r\n"), 413, "RFC 9110 §15.5.14", "over max-body-size");
        Reject("chunked: size 0x prefix", Chunked("0x5\r\nhello\r\n0\r\n\r\n"), 400, rfc, "HEXDIG only");
        Reject("chunked: negative size", Chunked("-5\r\nhello\r\n0\r\n\r\n"), 400, rfc, "HEXDIG only");
        Reject("chunked: empty size", Chunked("\r\nhello\r\n0\r\n\r\n"), 400, rfc, "1*HEXDIG");
        Reject("chunked: space before size", Chunked(" 5\r\nhello\r\n0\r\n\r\n"), 400, rfc, "no leading whitespace");
        Reject("chunked: space after size", Chunked("5 \r\nhello\r\n0\r\n\r\n"), 400, rfc, "strict: BWS only before an extension");
        Reject("chunked: junk after size", Chunked("5x\r\nhello\r\n0\r\n\r\n"), 400, rfc, "HEXDIG only");
        Reject("chunked: bare LF after size", Chunked("5\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1, §2.2", "strict: CRLF only");
        Reject("chunked: bare CR after size", Chunked("5\rhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1, §2.2", "bare CR");
        Reject("chunked: bare LF after data", Chunked("5\r\nhello\n0\r\n\r\n"), 400, "RFC 9112 §7.1, §2.2", "CRLF after chunk-data");
        Reject("chunked: bare CR after data", Chunked("5\r\nhello\r0\r\n\r\n"), 400, "RFC 9112 §7.1, §2.2", "CRLF after chunk-data");
        Reject("chunked: data longer than size", Chunked("5\r\nhelloXX\r\n0\r\n\r\n"), 400, rfc, "chunk-data is exactly chunk-size bytes");
        Reject("chunked: data shorter than size", Chunked("5\r\nhell\r\n0\r\n\r\n"), 400, rfc, "chunk-data is exactly chunk-size bytes");
        Reject("chunked: bare LF ending the body", Chunked("0\r\n\n"), 400, "RFC 9112 §7.1, §2.2", "CRLF ends the trailer section");
        Reject("chunked: bare LF after last chunk", Chunked("0\n\r\n"), 400, "RFC 9112 §7.1, §2.2", "CRLF after last-chunk");
        Reject("chunked: extension without name", Chunked("5;\r\nhello\r\n0\r\n\r\n"), 400, ext, "chunk-ext-name is a token");
        Reject("chunked: extension name missing before =", Chunked("5;=v\r\nhello\r\n0\r\n\r\n"), 400, ext, "chunk-ext-name is a token");
        Reject("chunked: extension value missing", Chunked("5;n=\r\nhello\r\n0\r\n\r\n"), 400, ext, "token or quoted-string after '='");
        Reject("chunked: extension unterminated quote", Chunked("5;n=\"v\r\nhello\r\n0\r\n\r\n"), 400, ext, "quoted-string must close");
        Reject("chunked: extension junk after quote", Chunked("5;n=\"v\"x\r\nhello\r\n0\r\n\r\n"), 400, ext, "nothing after a quoted-string but ';'");
        Reject("chunked: extension with space in value", Chunked("5;n=a b\r\nhello\r\n0\r\n\r\n"), 400, ext, "token values have no spaces");
        Reject("chunked: extension NUL", Chunked("5;n\u0000\r\nhello\r\n0\r\n\r\n"), 400, ext, "NUL");
        Reject("chunked: extension bare LF inside", Chunked("5;n=v\nx\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1.1, §2.2", "bare LF inside an extension (chunk-ext smuggling)");
        Reject("chunked: extension bare CR inside", Chunked("5;n=v\rx\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1.1, §2.2", "bare CR inside an extension");
        Reject("chunked: chunk line over 4 KB", Chunked("5;n=" + new string('v', 5000) + "\r\nhello\r\n0\r\n\r\n"), 400, ext, "max-chunk-line-length bounds extensions (they are skipped, not stored)");
        Reject("chunked: bad chunk after a good one", Chunked("5\r\nhello\r\nzz\r\nx\r\n0\r\n\r\n"), 400, rfc, "an error anywhere in the body is fatal");
    }

    // ------------------------------------------------------------------ trailers (RFC 9112 §7.1.2, RFC 9110 §6.5)

    private static void Trailers()
    {
        const string rfc = "RFC 9110 §6.5.1";
        Ok("trailer: ordinary field", Chunked("5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n"), "RFC 9112 §7.1.2", "trailers are checked and dropped", body: "hello");
        Reject("trailer: Content-Length", Chunked("5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n"), 400, rfc, "framing fields MUST NOT be in trailers");
        Reject("trailer: Transfer-Encoding", Chunked("5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400, rfc, "framing fields MUST NOT be in trailers");
        Reject("trailer: Host", Chunked("5\r\nhello\r\n0\r\nHost: evil\r\n\r\n"), 400, rfc, "routing fields MUST NOT be in trailers");
        Reject("trailer: Connection", Chunked("5\r\nhello\r\n0\r\nConnection: close\r\n\r\n"), 400, rfc, "connection management is not a trailer");
        Reject("trailer: Content-Type", Chunked("5\r\nhello\r\n0\r\nContent-Type: text/html\r\n\r\n"), 400, rfc, "content handling fields");
        Reject("trailer: Authorization", Chunked("5\r\nhello\r\n0\r\nAuthorization: Basic YTpi\r\n\r\n"), 400, rfc, "authentication fields");
        Reject("trailer: Expect", Chunked("5\r\nhello\r\n0\r\nExpect: 100-continue\r\n\r\n"), 400, rfc, "request modifiers");
        Reject("trailer: Trailer", Chunked("5\r\nhello\r\n0\r\nTrailer: X\r\n\r\n"), 400, rfc, "the Trailer field itself");
        Reject("trailer: obs-fold", Chunked("5\r\nhello\r\n0\r\nX-A: a\r\n b\r\n\r\n"), 400, "RFC 9112 §5.2", "obs-fold in trailers too");
        Reject("trailer: space before colon", Chunked("5\r\nhello\r\n0\r\nX-A : b\r\n\r\n"), 400, "RFC 9112 §5.1", "as in the header section");
        Reject("trailer: bare LF", Chunked("5\r\nhello\r\n0\r\nX-A: b\n\r\n"), 400, "RFC 9112 §2.2", "bare LF");
        Reject("trailer: NUL in value", Chunked("5\r\nhello\r\n0\r\nX-A: \u0000\r\n\r\n"), 400, "RFC 9110 §5.5", "NUL");
        Reject("trailer: no colon", Chunked("5\r\nhello\r\n0\r\nX-A\r\n\r\n"), 400, "RFC 9112 §5.1", "field-line syntax");
    }

    // ------------------------------------------------------------------ limits (RFC 9112 §3, RFC 6585 §5, RFC 9110 §15.5)

    private static void Limits()
    {
        var fields100 = string.Concat(Enumerable.Range(1, 99).Select(i => $"X-{i}: v\r\n"));
        Ok("limit: 100 fields", Get(headers: fields100), "RFC 6585 §5", "max-header-count (100) fields, Host included, are accepted");
        Reject("limit: 101 fields", Get(headers: fields100 + "X-100: v\r\n"), 431, "RFC 6585 §5", "more than max-header-count");
        Reject("limit: header section over 32 KB", Get(headers: "X-Big: " + new string('v', 33 * 1024) + "\r\n"), 431, "RFC 6585 §5", "max-header-section-size");
        Reject("limit: header section over 32 KB, never ending", "GET /plaintext HTTP/1.1\r\nX-Big: " + new string('v', 40 * 1024), 431, "RFC 6585 §5",
            "431 as soon as the limit is passed, without waiting for the end of the line");
        Reject("limit: many small fields over 32 KB", Get(headers: string.Concat(Enumerable.Range(0, 90).Select(i => $"X-{i}: {new string('v', 400)}\r\n"))), 431, "RFC 6585 §5", "the section size counts all lines");
        Reject("limit: request line over 8 KB in the method+target", "GET /" + new string('a', 8200) + " HTTP/1.1\r\n" + H + "\r\n", 414, "RFC 9110 §15.5.15", "max-request-line-length");
    }

    // ------------------------------------------------------------------ Expect (RFC 9110 §10.1.1)

    private static void Expectations()
    {
        const string rfc = "RFC 9110 §10.1.1";
        Ok("expect: 100-continue with the body sent", Post("Expect: 100-continue\r\nContent-Length: 5\r\n", "hello"), rfc, "answered; 100 Continue only if the body had not started", body: "hello");
        Ok("expect: 100-Continue mixed case", Post("Expect: 100-Continue\r\nContent-Length: 5\r\n", "hello"), rfc, "the expectation is case-insensitive", body: "hello");
        Ok("expect: ignored in HTTP/1.0", "POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello", rfc,
            "a server MUST ignore a 100-continue expectation in an HTTP/1.0 request", body: "hello");
        Reject("expect: unknown value", Post("Expect: 200-ok\r\nContent-Length: 5\r\n", "hello"), 417, "RFC 9110 §10.1.1, §15.5.18", "an unknown expectation MAY be answered 417: it is, and closed");
        Reject("expect: 100-continue plus junk", Post("Expect: 100-continue, foo\r\nContent-Length: 5\r\n", "hello"), 417, rfc, "an expectation we cannot meet");
        Reject("expect: on GET", Get(headers: "Expect: something\r\n"), 417, rfc, "unknown expectation");
        Reject("expect: 100-continue over max-body-size", Post("Expect: 100-continue\r\nContent-Length: 9000000\r\n", ""), 413, "RFC 9110 §10.1.1, §15.5.14",
            "refused with 413 and without 100 Continue: the body is never invited");
    }

    // ------------------------------------------------------------------ Upgrade, HTTP/2 (RFC 9110 §7.8, RFC 9113 §3)

    private static void UpgradeAndHttp2()
    {
        const string rfc = "RFC 9110 §7.8";
        Ok("upgrade: websocket ignored", Get(headers: "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), rfc,
            "a server MAY ignore Upgrade: answered as HTTP/1.1, never 101");
        Ok("upgrade: h2c ignored", Get(headers: "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"), "RFC 9110 §7.8, RFC 9113 §3.1",
            "h2c upgrade is not supported (and is removed from RFC 9113): answered as HTTP/1.1");
        Ok("upgrade: on a POST ignored, body read", Post("Connection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 5\r\n", "hello"), rfc, "ignoring Upgrade keeps the body's framing", body: "hello");
        Ok("upgrade: unknown protocol ignored", Get(headers: "Upgrade: foo/2\r\nConnection: Upgrade\r\n"), rfc, "ignored");
        Reject("http2: connection preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "RFC 9113 §3.4, RFC 9110 §15.6.6",
            "the preface is built to fail on HTTP/1 servers: 505 (version not supported) and close; prior-knowledge h2 is not spoken");
    }

    // ------------------------------------------------------------------ persistence and pipelining (RFC 9112 §9)

    private static void Persistence()
    {
        const string rfc = "RFC 9112 §9.3";
        Add("persist: Connection: close answered then closed", Get(headers: "Connection: close\r\n"), [200], close: true, "RFC 9112 §9.6",
            "after a request with close the server closes and does not process further requests");
        Add("persist: close among other options", Get(headers: "Connection: keep-alive, close\r\n"), [200], close: true, "RFC 9112 §9.6", "close wins");
        Add("persist: CLOSE uppercase", Get(headers: "Connection: CLOSE\r\n"), [200], close: true, "RFC 9112 §9.6", "connection options are case-insensitive");
        Ok("persist: HTTP/1.0 keep-alive", "GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", rfc, "HTTP/1.0 persists with keep-alive");
        Add("persist: HTTP/1.0 POST without keep-alive", "POST /echo HTTP/1.0\r\nContent-Length: 2\r\n\r\nok", [200], close: true, rfc, "HTTP/1.0 default is close", body: "ok");
        Add("pipeline: three requests answered in order", Get("/items/1") + Get("/items/2") + Get("/items/3"), [200, 200, 200], close: false, "RFC 9112 §9.3.2",
            "responses in the order of the requests", body: "1");
        Add("pipeline: error after a valid request", Get() + "GET /bad\u0001 HTTP/1.1\r\n" + H + "\r\n", [200, 400], close: true, "RFC 9112 §9.3.2",
            "requests before the error are answered; the error closes");
        Add("pipeline: nothing after an error is answered", "GET /bad\u0001 HTTP/1.1\r\n" + H + "\r\n" + Get() + Get(), [400], close: true, "RFC 9112 §9.6",
            "framing is lost after an error: what follows is never processed");
        Add("pipeline: nothing after a smuggling attempt", Post("Content-Length: 13\r\nTransfer-Encoding: chunked\r\n", SmuggleBody) + Get("/items/smuggled"), [400], close: true,
            "RFC 9112 §6.3", "the smuggled request is never answered");
        Add("pipeline: nothing after a bad chunk", Chunked("zz\r\n") + Get() + Get(), [400], close: true, "RFC 9112 §7.1", "framing lost");
        Add("pipeline: nothing after 413", Cl("9000000", "x") + Get(), [413], close: true, "RFC 9110 §15.5.14", "the body was not read: the connection closes");
        Add("pipeline: nothing after Connection: close", Get(headers: "Connection: close\r\n") + Get("/items/after"), [200], close: true, "RFC 9112 §9.6",
            "a server MUST NOT process further requests after close");
        Add("pipeline: nothing after HTTP/1.0", "GET /plaintext HTTP/1.0\r\n\r\n" + Get("/items/after"), [200], close: true, "RFC 9112 §9.3", "HTTP/1.0 without keep-alive closes");
        Add("pipeline: 404 keeps the connection", Get("/nope") + Get("/items/x"), [404, 200], close: false, "RFC 9112 §9.3", "an error that keeps framing keeps the connection");
    }

    // ------------------------------------------------------------------ incomplete messages (RFC 9112 §8)

    private static void Incomplete()
    {
        const string rfc = "RFC 9112 §8";
        Add("incomplete: head then FIN", "GET /plaintext HTTP/1.1\r\nHost: h\r\n", [], close: true, rfc, "an incomplete request is never processed: closed without a response", fin: true);
        Add("incomplete: Content-Length body then FIN", Cl("10", "hello"), [], close: true, rfc, "a body shorter than its length is incomplete: not processed", fin: true);
        Add("incomplete: chunked body without last chunk then FIN", Chunked("5\r\nhello\r\n"), [], close: true, rfc, "no last-chunk: incomplete", fin: true);
        Add("incomplete: complete request then FIN", Get("/items/fin"), [200], close: true, "RFC 9112 §9.6", "complete requests before the FIN are answered, then the server closes", fin: true);
    }
}
