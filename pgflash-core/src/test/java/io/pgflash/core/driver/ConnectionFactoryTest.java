package io.pgflash.core.driver;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.core.FlashTestBase;
import io.pgflash.core.internal.net.WaitableSocketFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class ConnectionFactoryTest extends FlashTestBase {

    @Test
    void theReplicationSessionKeepsItsPinnedSettingsBesideTheUrlsOptions() throws Exception {
        String url = db.jdbcUrl() + (db.jdbcUrl().contains("?") ? "&" : "?")
                + "options=-c%20search_path%3Dpublic%20-c%20intervalstyle%3Diso_8601%20-c%20bytea_output%3Descape";
        try (Connection replication = ConnectionFactory.of(url, db.user(), db.password()).openReplication()) {
            assertThat(show(replication, "intervalstyle")).isEqualTo("postgres");
            assertThat(show(replication, "bytea_output")).isEqualTo("hex");
            assertThat(show(replication, "search_path")).isEqualTo("public"); // the URL's own option still counts
            // so that an idle reader waits on it rather than polling
            assertThat(WaitableSocketFactory.socketOf(replication)).isNotNull();
        }
    }

    @Test
    void onlyTheOptionsParameterLeavesTheUrl() {
        var split = ConnectionFactory.UrlOptions.split("jdbc:postgresql://h/db?ssl=true&options=-c%20a%3Db&x=1");
        assertThat(split.withoutOptions()).isEqualTo("jdbc:postgresql://h/db?ssl=true&x=1");
        assertThat(split.options()).isEqualTo("-c a=b");
        assertThat(ConnectionFactory.UrlOptions.split("jdbc:postgresql://h/db").options()).isNull();
        assertThat(ConnectionFactory.UrlOptions.split("jdbc:postgresql://h/db?options=x").withoutOptions())
                .isEqualTo("jdbc:postgresql://h/db");
    }

    private static String show(Connection connection, String setting) throws Exception {
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
