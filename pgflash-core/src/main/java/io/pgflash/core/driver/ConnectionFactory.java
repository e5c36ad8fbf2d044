package io.pgflash.core.driver;

import io.pgflash.core.internal.net.WaitableSocketFactory;
import org.jspecify.annotations.Nullable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Properties;
import java.util.StringJoiner;

/**
 * Opens new, unpooled connections. Drivers use one for their dedicated listening or replication session (never a
 * pooled connection: LISTEN and replication need a session of their own) and short-lived ones for set-up work.
 */
@FunctionalInterface
public interface ConnectionFactory {

    Connection open() throws SQLException;

    /**
     * A logical replication connection ({@code replication=database}) whose value output settings match the trigger
     * driver's, so both drivers decode the same text. Only factories made by {@link #of} can open one.
     */
    default Connection openReplication() throws SQLException {
        throw new SQLFeatureNotSupportedException("This connection factory cannot open replication connections;"
                + " configure pgflash with a JDBC URL, user and password");
    }

    /**
     * Sets on an open session the value output settings of {@link #openReplication()}, for a session that reads rows
     * as text for the decoder (a snapshot's chunks): a database or role default such as {@code IntervalStyle
     * sql_standard} would otherwise change the values read. The settings stay with the session: {@link #open()}
     * gives new connections, never pooled ones.
     */
    static void pinValueOutput(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_catalog.set_config('datestyle', 'ISO, MDY', false),"
                    + " pg_catalog.set_config('intervalstyle', 'postgres', false),"
                    + " pg_catalog.set_config('bytea_output', 'hex', false),"
                    + " pg_catalog.set_config('extra_float_digits', '1', false)");
        }
    }

    /** Connections from a JDBC URL with user and password (either may be null to use the URL's). */
    static ConnectionFactory of(String jdbcUrl, @Nullable String user, @Nullable String password) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Properties properties = new Properties();
        if (user != null) {
            properties.setProperty("user", user);
        }
        if (password != null) {
            properties.setProperty("password", password);
        }
        properties.putIfAbsent("ApplicationName", "pgflash");
        return new ConnectionFactory() {
            @Override
            public Connection open() throws SQLException {
                return DriverManager.getConnection(jdbcUrl, properties);
            }

            @Override
            public Connection openReplication() throws SQLException {
                Properties replication = new Properties();
                replication.putAll(properties);
                replication.setProperty("replication", "database");
                replication.setProperty("assumeMinServerVersion", "10");
                replication.setProperty("preferQueryMode", "simple");
                // the URL's own options would replace a property's, so they move into it, before the pinned ones;
                // no time zone: pgjdbc sends the JVM's, which wins, and timestamptz text carries its offset anyway
                UrlOptions url = UrlOptions.split(jdbcUrl);
                replication.setProperty("options", (url.options() == null ? "" : url.options() + " ")
                        + "-c datestyle=ISO,MDY -c intervalstyle=postgres -c bytea_output=hex -c extra_float_digits=1");
                // on a socket the reader can wait on while the stream is quiet, instead of polling it
                return WaitableSocketFactory.connect(url.withoutOptions(), replication);
            }
        };
    }

    /** A JDBC URL's {@code options} parameter (decoded; null if none) and the URL without it. */
    record UrlOptions(String withoutOptions, @Nullable String options) {

        static UrlOptions split(String jdbcUrl) {
            int query = jdbcUrl.indexOf('?');
            if (query < 0) {
                return new UrlOptions(jdbcUrl, null);
            }
            String options = null;
            StringJoiner kept = new StringJoiner("&");
            for (String parameter : jdbcUrl.substring(query + 1).split("&")) {
                if (parameter.startsWith("options=")) {
                    options = URLDecoder.decode(parameter.substring("options=".length()), StandardCharsets.UTF_8);
                } else if (!parameter.isEmpty()) {
                    kept.add(parameter);
                }
            }
            String base = jdbcUrl.substring(0, query);
            return new UrlOptions(kept.length() == 0 ? base : base + "?" + kept, options);
        }
    }
}
