package io.pgflash.sample;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * A real PostgreSQL for the sample when no {@code spring.datasource.url} is given: the embedded server the tests use
 * (with {@code wal_level=logical}, so both drivers work), its data kept in {@code sample.embedded.data-dir} across
 * restarts. The DataSource, Flyway and pgflash all connect through the {@link JdbcConnectionDetails} bean.
 * <p>
 * The server runs as a child process; if the sample is killed ({@code kill -9}) it outlives it and keeps the
 * directory locked, so the next start stops that leftover server first instead of failing.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(EmbeddedPostgresConfiguration.NoDataSourceUrl.class)
class EmbeddedPostgresConfiguration {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresConfiguration.class);
    private static final Duration LEFTOVER_STOP_TIMEOUT = Duration.ofSeconds(30);

    @Bean(destroyMethod = "close")
    EmbeddedPostgres embeddedPostgres(@Value("${sample.embedded.data-dir}") Path dataDirectory) throws IOException {
        log.info("No spring.datasource.url given: starting an embedded PostgreSQL with its data in {}",
                dataDirectory.toAbsolutePath());
        stopLeftoverServer(dataDirectory);
        return EmbeddedPostgres.builder()
                .setDataDirectory(dataDirectory)
                .setCleanDataDirectory(false)
                .setServerConfig("wal_level", "logical")
                .start();
    }

    /** Stops a postgres server that still runs on {@code dataDirectory} (per its {@code postmaster.pid}). */
    static void stopLeftoverServer(Path dataDirectory) throws IOException {
        Path pidFile = dataDirectory.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        List<String> lines = Files.readAllLines(pidFile);
        Optional<ProcessHandle> server = lines.isEmpty() ? Optional.empty()
                : ProcessHandle.of(Long.parseLong(lines.get(0).trim()))
                        .filter(process -> process.info().command().orElse("").endsWith("postgres"));
        if (server.isEmpty()) {
            return; // PostgreSQL itself handles a stale pid file
        }
        log.warn("A PostgreSQL server left by an earlier run (pid {}) still holds {}: stopping it", server.get().pid(),
                dataDirectory);
        server.get().destroy(); // SIGTERM: the server's clients are gone, so its shutdown is quick
        try {
            server.get().onExit().get(LEFTOVER_STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while stopping the leftover server", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("The leftover PostgreSQL server (pid " + server.get().pid() + ") on " + dataDirectory
                    + " did not stop within " + LEFTOVER_STOP_TIMEOUT + "; stop it and start again", e);
        }
    }

    @Bean
    JdbcConnectionDetails embeddedPostgresConnectionDetails(EmbeddedPostgres postgres) {
        String url = "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
        return new JdbcConnectionDetails() {
            @Override
            public String getUsername() {
                return "postgres";
            }

            @Override
            public String getPassword() {
                return "";
            }

            @Override
            public String getJdbcUrl() {
                return url;
            }
        };
    }

    static class NoDataSourceUrl extends SpringBootCondition {

        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            String url = context.getEnvironment().getProperty("spring.datasource.url");
            return url == null || url.isBlank()
                    ? ConditionOutcome.match("no spring.datasource.url")
                    : ConditionOutcome.noMatch("spring.datasource.url is " + url);
        }
    }
}
