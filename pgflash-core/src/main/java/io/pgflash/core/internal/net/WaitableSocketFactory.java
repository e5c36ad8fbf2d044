package io.pgflash.core.internal.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.SocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * Opens pgjdbc connections on a {@link WaitableSocket}, and tells which socket a connection opened that way reads
 * from. pgjdbc makes the factory itself from the {@code socketFactory} property, so the connection being opened is
 * found again through a key in the properties; sockets made after the connection is open (cancel requests) are plain.
 */
public final class WaitableSocketFactory extends SocketFactory {

    private static final String KEY = "pgflash.waitableSocket";
    private static final Map<String, Opening> openings = new ConcurrentHashMap<>();
    private static final Map<Connection, WaitableSocket> sockets = Collections.synchronizedMap(new WeakHashMap<>());

    /** The connection being opened: the last socket made for it is the one it keeps (pgjdbc may retry). */
    private static final class Opening {
        private volatile @Nullable WaitableSocket last;
        private volatile boolean done;
    }

    private final @Nullable Opening opening;

    /** Called by pgjdbc with the connection's properties. */
    public WaitableSocketFactory(Properties properties) {
        String key = properties.getProperty(KEY);
        this.opening = key == null ? null : openings.get(key);
    }

    /**
     * Opens a connection whose socket {@link #socketOf} finds, unless the properties name a socket factory of the
     * user's, which is kept (the connection then has no waitable socket).
     */
    public static Connection connect(String url, Properties properties) throws SQLException {
        if (properties.getProperty("socketFactory") != null || url.contains("socketFactory=")) {
            return DriverManager.getConnection(url, properties);
        }
        String key = UUID.randomUUID().toString();
        Opening opening = new Opening();
        Properties withFactory = new Properties();
        withFactory.putAll(properties);
        withFactory.setProperty("socketFactory", WaitableSocketFactory.class.getName());
        withFactory.setProperty(KEY, key);
        openings.put(key, opening);
        try {
            Connection connection = DriverManager.getConnection(url, withFactory);
            WaitableSocket socket = opening.last;
            if (socket != null) {
                sockets.put(connection, socket);
            }
            return connection;
        } finally {
            opening.done = true;
            openings.remove(key);
        }
    }

    /** The socket a connection opened by {@link #connect} reads from, or null. */
    public static @Nullable WaitableSocket socketOf(Connection connection) {
        return sockets.get(connection);
    }

    @Override
    public Socket createSocket() {
        if (opening == null || opening.done) {
            return new Socket();
        }
        WaitableSocket socket = new WaitableSocket();
        opening.last = socket;
        return socket;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return connected(new InetSocketAddress(host, port), new InetSocketAddress(localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
    }

    private Socket connected(InetSocketAddress remote, @Nullable InetSocketAddress local) throws IOException {
        Socket socket = createSocket();
        if (local != null) {
            socket.bind(local);
        }
        socket.connect(remote);
        return socket;
    }
}
