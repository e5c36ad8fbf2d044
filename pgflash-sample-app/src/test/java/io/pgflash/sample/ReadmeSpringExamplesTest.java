package io.pgflash.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.test.Documentation;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Recoverer;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.spring.boot.autoconfigure.WalDriverCustomizer;
import io.pgflash.spring.listener.ListenerEndpoint;
import io.pgflash.spring.listener.PgChangeListenerConfigurer;
import io.pgflash.spring.observation.DefaultPgChangeListenerObservationConvention;
import io.pgflash.spring.observation.PgChangeListenerObservationContext;
import io.pgflash.spring.observation.PgChangeListenerObservationConvention;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The README's Spring examples are code of this module's tests, between README-START and README-END markers: they
 * compile here (the testing one also runs, as {@link PostsTest}), and the README must show each as it is.
 */
class ReadmeSpringExamplesTest {

    private static final Pattern EXAMPLE = Pattern.compile(
            "// README-START (\\S+)\\n(.*?)\\n[ \\t]*// README-END \\1", Pattern.DOTALL);

    @Test
    void theReadmeShowsEachSpringExampleAsTheCodeHasIt() throws Exception {
        Map<String, String> examples = new LinkedHashMap<>();
        for (String file : new String[] {"ReadmeSpringExamplesTest.java", "PostsTest.java"}) {
            Matcher matcher = EXAMPLE.matcher(Files.readString(Path.of("src/test/java/io/pgflash/sample", file)));
            while (matcher.find()) {
                examples.put(matcher.group(1), matcher.group(2).stripIndent());
            }
        }
        String readme = Documentation.all();

        assertThat(examples).containsOnlyKeys("beans", "configurer", "tracing", "testing");
        examples.forEach((name, code) -> assertThat(readme).as("README example '%s'", name).contains(code));
    }

    /** Beans that tune pgflash without replacing its beans. */
    static class Beans {
        // README-START beans
        @Bean
        Recoverer deadLetters(JdbcTemplate jdbc) {
            return (event, error) -> jdbc.update("INSERT INTO failed_events (position, error) VALUES (?, ?)",
                    event.position().toString(), error.getMessage());
        }

        @Bean
        WalDriverCustomizer walDriverCustomizer() {
            return builder -> builder.connectionCheckInterval(Duration.ofSeconds(30));
        }
        // README-END beans
    }

    /** A listener registered in code. */
    static class Configurer {
        interface AuditLog {
            void record(ChangeEvent event);
        }

        // README-START configurer
        @Bean
        PgChangeListenerConfigurer auditListeners(AuditLog audit) {
            return registry -> registry.register(ListenerEndpoint.of("audit-orders",
                    SubscriptionSpec.table("orders").build(), audit::record)); // ListenerEndpoint.batch(...) for batches
        }
        // README-END configurer
    }

    /** The listener observations, named otherwise. */
    static class Tracing {
        // README-START tracing
        @Bean
        PgChangeListenerObservationConvention listenerObservations() {
            return new DefaultPgChangeListenerObservationConvention() {
                @Override
                public String getContextualName(PgChangeListenerObservationContext context) {
                    return "pgflash " + context.getListenerId(); // the span's name
                }
            };
        }
        // README-END tracing
    }
}
