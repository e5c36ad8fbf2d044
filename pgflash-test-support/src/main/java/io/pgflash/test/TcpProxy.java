package io.pgflash.test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback TCP proxy in front of the test server, to make connections fail the way networks do: {@link #freeze()}
 * keeps the existing connections open but drops every byte (a silently dead peer), while new connections work;
 * {@link #cutOff()} ends every connection and refuses new ones until {@link #restore()} (an outage).
 */
public final class TcpProxy implements AutoCloseable {

    private static final Pattern HOST_PORT = Pattern.compile("^jdbc:postgresql://([^:/]+):(\\d+)(/.*)$");

    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private volatile boolean cutOff;

    private TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "tcp-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy in front of the server a {@code jdbc:postgresql://host:port/...} URL names. */
    public static TcpProxy inFrontOf(String jdbcUrl) {
        Matcher matcher = HOST_PORT.matcher(jdbcUrl);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("Expected jdbc:postgresql://host:port/..., got " + jdbcUrl);
        }
        try {
            return new TcpProxy(matcher.group(1), Integer.parseInt(matcher.group(2)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code jdbcUrl} pointed at this proxy instead of the server. */
    public String rewrite(String jdbcUrl) {
        Matcher matcher = HOST_PORT.matcher(jdbcUrl);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("Expected jdbc:postgresql://host:port/..., got " + jdbcUrl);
        }
        return "jdbc:postgresql://" + server.getInetAddress().getHostAddress() + ":" + server.getLocalPort()
                + matcher.group(3);
    }

    /** From now on, every connection open at this moment silently drops all traffic in both directions. */
    public void freeze() {
        links.forEach(link -> link.frozen = true);
    }

    /**
     * From now on until {@link #restore()}, the server is out of reach: every connection is closed (the server sees it
     * end), and each new one is closed as soon as it is accepted.
     */
    public void cutOff() {
        cutOff = true;
        links.forEach(Link::close);
        links.clear();
    }

    /** Ends the outage {@link #cutOff()} began: new connections reach the server again. */
    public void restore() {
        cutOff = false;
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        links.forEach(Link::close);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (cutOff) {
                    client.close();
                    continue;
                }
                Socket upstream = new Socket(targetHost, targetPort);
                Link link = new Link(client, upstream);
                links.add(link);
                link.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private static final class Link {
        final Socket client;
        final Socket upstream;
        volatile boolean frozen;

        Link(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() throws IOException {
            pump(client.getInputStream(), upstream.getOutputStream());
            pump(upstream.getInputStream(), client.getOutputStream());
        }

        private void pump(InputStream in, OutputStream out) {
            Thread thread = new Thread(() -> {
                byte[] buffer = new byte[8192];
                try {
                    int read;
                    while ((read = in.read(buffer)) >= 0) {
                        if (!frozen) {
                            out.write(buffer, 0, read);
                            out.flush();
                        }
                    }
                } catch (IOException e) {
                    // a side closed
                } finally {
                    if (!frozen) {
                        close();
                    }
                }
            }, "tcp-proxy-pump");
            thread.setDaemon(true);
            thread.start();
        }

        void close() {
            try {
                client.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            try {
                upstream.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
