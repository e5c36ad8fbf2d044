package io.pgflash.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.spring.boot.autoconfigure.kafka.PgFlashKafkaProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanUtils;
import org.springframework.beans.BeanWrapperImpl;
import org.springframework.boot.convert.ApplicationConversionService;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * docs/properties.md cannot drift from the code: it documents every property of the generated configuration
 * metadata, once, with the metadata's default, and none that does not exist; and the metadata's defaults are the
 * values an application gets when it sets nothing.
 */
class PropertiesReferenceTest {

    private static final Path PAGE = Path.of("..", "docs", "properties.md");
    private static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\| ([^|]+) \\|", Pattern.MULTILINE);
    /** List items and map entries: documented per field or key, one property in the metadata. */
    private static final Pattern ELEMENT = Pattern.compile("\\[n]\\..*$|\\.<[a-z]+>$");

    @Test
    void everyPropertyIsDocumentedOnceWithItsDefaultAndNoneThatDoesNotExist() throws Exception {
        Map<String, String> documented = new LinkedHashMap<>();
        List<String> twice = new ArrayList<>();
        Matcher row = ROW.matcher(Files.readString(PAGE));
        while (row.find()) {
            if (documented.put(row.group(1), row.group(2).trim()) != null) {
                twice.add(row.group(1));
            }
        }
        assertThat(twice).as("documented twice").isEmpty();

        Map<String, String> defaults = new TreeMap<>(); // by property: an element's row stands for its list or map
        documented.forEach((name, value) -> defaults.putIfAbsent(ELEMENT.matcher(name).replaceFirst(""), value));
        Map<String, JsonNode> metadata = metadata();
        assertThat(defaults.keySet()).as("the properties on the page").isEqualTo(metadata.keySet());

        metadata.forEach((name, property) -> {
            if (property.has("defaultValue")) {
                assertThat(defaults.get(name)).as("the default of " + name)
                        .isEqualToIgnoringCase("`" + property.get("defaultValue").asString() + "`");
            } else {
                assertThat(defaults.get(name)).as("what " + name + " is when not set").isNotBlank();
            }
        });
    }

    @Test
    void theMetadataDefaultsAreWhatAnApplicationThatSetsNothingGets() throws Exception {
        Map<String, Object> unset = Map.of("pgflash", new PgFlashProperties(),
                "pgflash.kafka", new PgFlashKafkaProperties());
        metadata().forEach((name, property) -> {
            if (!property.has("defaultValue") || name.startsWith("management.")) {
                return;
            }
            String prefix = name.startsWith("pgflash.kafka.") ? "pgflash.kafka" : "pgflash";
            Object value = new BeanWrapperImpl(unset.get(prefix)).getPropertyValue(camelCase(
                    name.substring(prefix.length() + 1)));
            assertThat(value).as(name).isNotNull();
            assertThat(ApplicationConversionService.getSharedInstance()
                    .convert(property.get("defaultValue").asString(), value.getClass())).as(name).isEqualTo(value);
        });
    }

    @Test
    void everySettingOfAKafkaTableIsDocumented() throws Exception {
        String page = Files.readString(PAGE);
        for (var setting : BeanUtils.getPropertyDescriptors(PgFlashKafkaProperties.Table.class)) {
            if (setting.getWriteMethod() != null) {
                assertThat(page).contains("`pgflash.kafka.tables[n]." + kebabCase(setting.getName()) + "`");
            }
        }
    }

    /** The generated metadata's properties by name (the build's and the additional file's, merged). */
    private static Map<String, JsonNode> metadata() throws Exception {
        Path classes = Path.of(PgFlashProperties.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        JsonNode root = JsonMapper.builder().build()
                .readTree(Files.readString(classes.resolve("META-INF/spring-configuration-metadata.json")));
        Map<String, JsonNode> properties = new TreeMap<>();
        root.get("properties").forEach(property -> properties.put(property.get("name").asString(), property));
        return properties;
    }

    private static String camelCase(String kebab) {
        StringBuilder camel = new StringBuilder();
        boolean upper = false;
        for (char c : kebab.toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                camel.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return camel.toString();
    }

    private static String kebabCase(String camel) {
        return camel.replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
    }
}
