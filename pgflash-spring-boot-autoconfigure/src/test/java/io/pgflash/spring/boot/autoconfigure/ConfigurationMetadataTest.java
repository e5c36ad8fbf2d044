package io.pgflash.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The build generates the metadata IDEs complete {@code pgflash.*} properties from, with their descriptions. */
class ConfigurationMetadataTest {

    @Test
    void theBuildDescribesEveryGroupOfProperties() throws Exception {
        Path classes = Path.of(PgFlashProperties.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String metadata = Files.readString(classes.resolve("META-INF/spring-configuration-metadata.json"));

        for (String property : new String[] {"pgflash.driver", "pgflash.group", "pgflash.trigger.mode",
            "pgflash.wal.slot-name", "pgflash.error.max-attempts", "pgflash.health.slot-lag-threshold",
            "pgflash.kafka.enabled", "pgflash.kafka.topic-prefix", "pgflash.kafka.tables"}) {
            assertThat(metadata).as(property)
                    .containsPattern("\"name\"\\s*:\\s*\"" + property.replace(".", "\\.") + "\"");
        }
        assertThat(metadata).contains("Defaults to spring.application.name");
    }
}
