package io.pgflash.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.spring.annotation.OldRow;
import io.pgflash.spring.annotation.PgChangeListener;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.core.io.support.SpringFactoriesLoader.ArgumentResolver;
import org.springframework.core.io.support.SpringFactoriesLoader.FailureHandler;

/**
 * Start-up failures end in a failure analysis that names what is wrong and the fix, never a bare stack trace, and
 * blames the right thing: the connection, a setting, or a listener.
 */
class FailureAnalysisTest {

    static TestDatabase db;
    private static int groups;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, PgFlashAutoConfiguration.class,
                    PgFlashHealthContributorAutoConfiguration.class));

    @BeforeAll
    static void database() {
        db = TestPostgres.shared().createDatabase();
        db.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text, status text, author_id bigint)");
    }

    private ApplicationContextRunner withDatabase(String url, String user) {
        return runner.withPropertyValues("spring.datasource.url=" + url, "spring.datasource.username=" + user,
                "spring.datasource.password=" + db.password());
    }

    private ApplicationContextRunner wal() {
        return withDatabase(db.jdbcUrl(), db.user()).withPropertyValues("pgflash.driver=wal",
                "pgflash.group=" + db.name() + "_analysis_" + (++groups), "pgflash.remove-objects-on-shutdown=true");
    }

    @Test
    void aListenerNeedingOldRowsOnATableWithoutFullReplicaIdentityIsRefusedNamingListenerTableAndBothFixes() {
        wal().withUserConfiguration(TitleChanges.class).run(context -> {
            FailureAnalysis analysis = analysis(context);
            assertThat(analysis.getDescription()).contains("TitleChanges.onTitle", "\"public\".\"posts\"",
                    "REPLICA IDENTITY DEFAULT");
            assertThat(analysis.getAction()).contains("pgflash.wal.replica-identity-full=true",
                    "ALTER TABLE \"public\".\"posts\" REPLICA IDENTITY FULL");
        });
        // a record bound from a DELETE's row is its old row: on WAL without FULL it would be only the key
        wal().withUserConfiguration(DeletedPosts.class).run(context -> assertThat(
                analysis(context).getDescription()).contains("DeletedPosts.onDelete",
                        "old rows"));
        wal().withPropertyValues("pgflash.wal.replica-identity-full=true").withUserConfiguration(TitleChanges.class)
                .run(context -> assertThat(context).hasNotFailed());
    }

    /** The server's refusal comes first, not the listener's, and is not blamed on the listener. */
    @Test
    void aRoleWithoutReplicationIsToldSoBeforeAListenersNeedForOldRows() {
        String role = "analysis_no_replication";
        db.execute("DROP ROLE IF EXISTS " + role, "CREATE ROLE " + role + " LOGIN PASSWORD '" + db.password() + "'");
        withDatabase(db.jdbcUrl(), role).withPropertyValues("pgflash.driver=wal")
                .withUserConfiguration(TitleChanges.class).run(context -> {
                    FailureAnalysis analysis = analysis(context);
                    assertThat(analysis.getDescription()).startsWith("pgflash could not start: Role " + role
                            + " lacks the REPLICATION attribute").doesNotContain("REPLICA IDENTITY");
                    assertThat(analysis.getAction()).contains("pgflash.driver=trigger")
                            .doesNotContain("@PgChangeListener");
                });
    }

    @Test
    void aGroupWhoseSlotNameAnotherDatabaseUsesIsToldToNameItsOwnSlot() {
        String group = db.name() + "_shared_name";
        TestDatabase other = TestPostgres.shared().createDatabase();
        other.execute("SELECT pg_create_logical_replication_slot('pgflash_" + group + "', 'pgoutput')");
        try {
            withDatabase(db.jdbcUrl(), db.user()).withPropertyValues("pgflash.driver=wal", "pgflash.group=" + group)
                    .run(context -> {
                        FailureAnalysis analysis = analysis(context);
                        assertThat(analysis.getDescription()).contains("pgflash_" + group, other.name());
                        assertThat(analysis.getAction()).contains("pgflash.group", "pgflash.wal.slot-name")
                                .doesNotContain("pgflash.driver=trigger");
                    });
        } finally {
            other.execute("SELECT pg_drop_replication_slot('pgflash_" + group + "')");
        }
    }

    @Test
    void aClosedPortIsBlamedOnTheConnectionNotOnTheListener() {
        String closedPort = "jdbc:postgresql://127.0.0.1:1/" + db.name();
        withDatabase(closedPort, db.user()).withUserConfiguration(TitleChanges.class).run(context -> {
            FailureAnalysis analysis = analysis(context);
            assertThat(analysis.getDescription()).contains("could not connect", "127.0.0.1:1");
            assertThat(analysis.getAction()).contains("spring.datasource.url", "password")
                    .doesNotContain("@PgChangeListener");
        });
    }

    @Test
    void anUnknownLoginIsBlamedOnTheConnectionNotOnTheListener() {
        withDatabase(db.jdbcUrl(), "nobody_" + db.name()).withUserConfiguration(TitleChanges.class).run(context -> {
            FailureAnalysis analysis = analysis(context);
            assertThat(analysis.getDescription()).contains("could not connect", "nobody_" + db.name());
            assertThat(analysis.getAction()).contains("spring.datasource.username").doesNotContain("@PgChangeListener");
        });
    }

    @Test
    void invalidDriverSettingsEndInAnAnalysisNamingTheSetting() {
        withDatabase(db.jdbcUrl(), db.user()).withPropertyValues("pgflash.trigger.mode=durable",
                "pgflash.trigger.group-expiry=-1s").run(context -> assertThat(
                        analysis(context).getDescription())
                        .contains("pgflash.trigger.group-expiry", "at least 1s"));
        withDatabase(db.jdbcUrl(), db.user()).withPropertyValues("pgflash.trigger.schema=bad$name").run(context ->
                assertThat(analysis(context).getDescription()).contains("pgflash.trigger.schema", "bad$name", "'$'"));
    }

    /** Each bad value is named as a setting, never blamed on the first listener that reads it. */
    @Test
    void durationsAndErrorSettingsOutOfRangeEndInAnAnalysisNamingTheSetting() {
        Map<String, String> refused = Map.of("pgflash.shutdown-timeout=-5s", "0s or more",
                "pgflash.trigger.connection-check-interval=0s", "at least 1ms",
                "pgflash.wal.heartbeat-interval=-1s", "0s (off) or more",
                "pgflash.wal.status-interval=0s", "at least 1ms",
                "pgflash.error.max-attempts=0", "at least 1",
                "pgflash.error.back-off-initial=-1s", "0s or more",
                "pgflash.error.back-off-multiplier=0.5", "at least 1");
        refused.forEach((setting, why) -> withDatabase(db.jdbcUrl(), db.user()).withPropertyValues(setting)
                .withUserConfiguration(TitleChanges.class).run(context -> assertThat(analysis(context)
                        .getDescription()).as(setting).contains(setting.substring(0, setting.indexOf('=')), why)
                        .doesNotContain("@PgChangeListener")));
        withDatabase(db.jdbcUrl(), db.user()).withPropertyValues("pgflash.error.back-off-initial=5s")
                .withUserConfiguration(TitleChanges.class).run(context -> assertThat(context).getFailure()
                        .hasStackTraceContaining("pgflash.error.back-off-initial (PT5S) is longer than"
                                + " pgflash.error.back-off-max (PT2S)"));
        // a BackOff bean replaces the back-off settings, so theirs are not held against it
        withDatabase(db.jdbcUrl(), db.user()).withPropertyValues("pgflash.error.back-off-initial=5s")
                .withBean(io.pgflash.core.BackOff.class, () -> io.pgflash.core.BackOff.fixed(
                        java.time.Duration.ofMillis(10)))
                .withUserConfiguration(TitleChanges.class).run(context -> assertThat(context).hasNotFailed());
    }

    @Test
    void aRecovererBeanThatDoesNotExistIsBlamedOnItsListenerByName() {
        withDatabase(db.jdbcUrl(), db.user()).withUserConfiguration(MissingRecoverer.class).run(context -> assertThat(
                analysis(context).getDescription()).contains("MissingRecoverer.onPost",
                        "recoverer bean 'noSuchRecoverer' does not exist"));
    }

    @Test
    void aNotifyQueueThresholdOutsideZeroToOneIsRefused() {
        withDatabase(db.jdbcUrl(), db.user()).withPropertyValues("pgflash.health.notify-queue-usage-threshold=2")
                .run(context -> assertThat(analysis(context).getDescription())
                        .contains("pgflash.health.notify-queue-usage-threshold", "from 0 to 1"));
    }

    /** The analysis Spring Boot reports: the first of its registered analyzers (ours among them) that has one. */
    private static FailureAnalysis analysis(AssertableApplicationContext context) {
        assertThat(context).hasFailed();
        Throwable failure = context.getStartupFailure();
        List<FailureAnalyzer> analyzers = SpringFactoriesLoader.forDefaultResourceLocation().load(FailureAnalyzer.class,
                ArgumentResolver.none(), FailureHandler.handleMessage((message, cause) -> { })); // those with no-arg constructors
        FailureAnalysis analysis = analyzers.stream().map(analyzer -> analyzer.analyze(failure))
                .filter(Objects::nonNull).findFirst().orElse(null);
        assertThat(analysis).as("failure analysis of " + failure).isNotNull();
        return analysis;
    }

    @Configuration(proxyBeanMethods = false)
    static class MissingRecoverer {

        @Bean
        MissingRecoverer missingRecovererListener() {
            return this;
        }

        @PgChangeListener(value = "posts", recoverer = "noSuchRecoverer")
        void onPost(Post post) {
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TitleChanges {

        @Bean
        TitleChanges titleChangeListener() {
            return this;
        }

        @PgChangeListener(value = "posts", ops = Operation.UPDATE, columns = "title")
        void onTitle(Post after, @OldRow Post before) {
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class DeletedPosts {

        @PgChangeListener(value = "posts", ops = Operation.DELETE)
        void onDelete(Post post) {
        }

        @PgChangeListener(value = "posts", ops = Operation.DELETE)
        void onDeleteEvent(ChangeEvent event) {
        }
    }

    record Post(Long id, String title, String status, Long authorId) {
    }
}
