package io.pgflash.core.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.core.FlashTestBase;
import java.net.InetAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import javax.net.SocketFactory;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

class WaitableSocketTest extends FlashTestBase {

    @Test
    void waitsForTheServersNextMessageAndHandsItToPgjdbcIntact() throws Exception {
        try (Connection listener = WaitableSocketFactory.connect(db.jdbcUrl(), credentials());
                Connection writer = DriverManager.getConnection(db.jdbcUrl(), credentials());
                Statement listening = listener.createStatement();
                Statement writing = writer.createStatement()) {
            WaitableSocket socket = WaitableSocketFactory.socketOf(listener);
            assertThat(socket).isNotNull();
            listening.execute("LISTEN waitable");

            assertThat(socket.awaitData(Duration.ofMillis(50))).isFalse();
            writing.execute("NOTIFY waitable, 'hello'");
            assertThat(socket.awaitData(Duration.ofSeconds(10))).isTrue();
            assertThat(socket.awaitData(Duration.ofMillis(50))).isTrue(); // the byte waited on is still there

            PGNotification[] notifications = listener.unwrap(PGConnection.class).getNotifications();
            assertThat(notifications).extracting(PGNotification::getParameter).containsExactly("hello");
            assertThat(queryOn(listening)).isEqualTo(1); // and the session goes on
        }
    }

    @Test
    void aSocketFactoryOfTheUsersIsKept() throws Exception {
        Properties properties = credentials();
        properties.setProperty("socketFactory", UsersSocketFactory.class.getName());
        try (Connection connection = WaitableSocketFactory.connect(db.jdbcUrl(), properties);
                Statement statement = connection.createStatement()) {
            assertThat(WaitableSocketFactory.socketOf(connection)).isNull();
            assertThat(queryOn(statement)).isEqualTo(1);
        }
    }

    private static int queryOn(Statement statement) throws Exception {
        try (var rs = statement.executeQuery("SELECT 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static Properties credentials() {
        Properties properties = new Properties();
        properties.setProperty("user", db.user());
        properties.setProperty("password", db.password());
        return properties;
    }

    /** A socket factory a user might configure. */
    public static final class UsersSocketFactory extends SocketFactory {

        @Override
        public Socket createSocket() {
            return new Socket();
        }

        @Override
        public Socket createSocket(String host, int port) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Socket createSocket(InetAddress host, int port) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
            throw new UnsupportedOperationException();
        }
    }
}
