package io.pgflash.spring.boot.autoconfigure;

import io.pgflash.core.PgFlashException;
import java.util.function.Supplier;
import org.springframework.core.env.Environment;

/**
 * Where pgflash opens its own (unpooled) connections: {@code pgflash.connection.*}, each unset part taken from the
 * application's JDBC connection ({@code spring.datasource.*} or a service connection). The password never appears
 * in {@link #toString()}.
 */
public record PgFlashConnectionDetails(String url, String username, String password) {

    /**
     * Each part from {@code pgflash.connection.*}, else the application's JDBC connection details, else
     * {@code spring.datasource.*}.
     */
    static PgFlashConnectionDetails resolve(PgFlashProperties.Connection own,
            Supplier<org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails> jdbc, Environment environment) {
        var details = jdbc.get();
        String url = first(own.getUrl(), details == null ? null : details.getJdbcUrl(),
                environment.getProperty("spring.datasource.url"));
        String username = first(own.getUsername(), details == null ? null : details.getUsername(),
                environment.getProperty("spring.datasource.username"));
        String password = first(own.getPassword(), details == null ? null : details.getPassword(),
                environment.getProperty("spring.datasource.password"));
        if (url == null || !url.startsWith("jdbc:postgresql:")) {
            throw new PgFlashException("pgflash needs a PostgreSQL JDBC URL (jdbc:postgresql://...) for its own"
                    + " connections but found " + (url == null ? "none" : withoutParameters(url)) + ": set"
                    + " spring.datasource.url, or pgflash.connection.url (with .username and .password) when the"
                    + " application builds its DataSource itself");
        }
        return new PgFlashConnectionDetails(url, username, password);
    }

    private static String first(String... candidates) {
        for (String candidate : candidates) {
            if (candidate != null) {
                return candidate;
            }
        }
        return null;
    }

    /** A JDBC URL without its parameters, which may hold a password. */
    static String withoutParameters(String url) {
        int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query) + "?...";
    }

    @Override
    public String toString() {
        return "PgFlashConnectionDetails[url=" + withoutParameters(url) + ", username=" + username
                + ", password=******]";
    }
}
