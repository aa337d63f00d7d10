using System.Net.Sockets;
using ActorHttp.Server;

namespace ActorHttp.Host;

/// <summary>Checks that the server's address can be bound, before the actor system starts.</summary>
internal static class AddressProbe
{
    /// <summary>Null if the address <paramref name="settings"/> name can be bound now, else the reason.</summary>
    public static string? CannotBind(ServerSettings settings)
    {
        if (settings.Port == 0) return null;
        try
        {
            var endpoint = settings.ResolveEndPoint(); // the same address the listener will bind
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true); // as Akka.IO binds
            socket.Bind(endpoint);
            return null;
        }
        catch (SocketException e)
        {
            return e.Message;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return e.Message;
        }
    }
}
