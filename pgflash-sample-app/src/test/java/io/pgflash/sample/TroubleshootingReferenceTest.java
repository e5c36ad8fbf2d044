package io.pgflash.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.test.Documentation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/troubleshooting.md has an entry for every message of pgflash's own exceptions (the ones a failure analysis
 * shows at start-up, and those of a running client) and of a filter's syntax errors, quoted as the code writes it with
 * {@code …} where the code puts a value in, and quotes no message the code no longer has. A message that only wraps
 * another (a name, then the cause's message) is covered by the cause's entry.
 */
class TroubleshootingReferenceTest {

    private static final Path ROOT = Documentation.projectRoot();
    private static final Pattern THROWN = Pattern.compile("new (PgFlashException|WalPreconditionException"
            + "|SlotTakenException|OldRowsUnavailableException|InvalidListenerException|KafkaPublishException"
            + "|SnapshotStoppedException)\\(");
    /** A filter's syntax error, which {@code Condition.invalid} prefixes with the filter. */
    private static final Pattern INVALID_FILTER = Pattern.compile("invalid\\(filter,");
    private static final Pattern QUOTED = Pattern.compile("^> `(.+)`$", Pattern.MULTILINE);
    private static final Pattern STRING = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

    @Test
    void everyMessageOfPgflashsExceptionsHasAnEntryAndEveryEntryAMessage() throws IOException {
        Map<String, String> messages = messagesInTheCode();
        assertThat(messages).as("messages found in the code").hasSizeGreaterThan(40);
        TreeSet<String> quoted = new TreeSet<>();
        Matcher quote = QUOTED.matcher(Files.readString(ROOT.resolve("docs/troubleshooting.md")));
        while (quote.find()) {
            quoted.add(quote.group(1));
        }

        List<String> missing = new ArrayList<>();
        messages.forEach((message, where) -> {
            if (!quoted.contains(message)) {
                missing.add(where + ": > `" + message + "`");
            }
        });
        assertThat(missing).as("messages without an entry in docs/troubleshooting.md").isEmpty();
        assertThat(quoted).as("entries whose message the code no longer has").isSubsetOf(messages.keySet());
    }

    /** Each message as its first string argument builds it, by where it is thrown. */
    private static Map<String, String> messagesInTheCode() throws IOException {
        Map<String, String> messages = new TreeMap<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".java")
                    && path.toString().contains("/src/main/java/")).toList()) {
                String source = Files.readString(file);
                collect(messages, file, source, THROWN.matcher(source), "");
                collect(messages, file, source, INVALID_FILTER.matcher(source), "Filter '…' is not valid: ");
            }
        }
        return messages;
    }

    private static void collect(Map<String, String> messages, Path file, String source, Matcher thrown, String prefix) {
        while (thrown.find()) {
            String arguments = source.substring(thrown.end(), closing(source, thrown.end()));
            String message = message(splitTopLevel(arguments, ',').stream()
                    .filter(argument -> argument.contains("\"")).findFirst().orElse(""));
            if (message.replaceAll("[…:;,.\\s]", "").length() >= 3) { // else it only wraps another
                messages.putIfAbsent(prefix + message, ROOT.relativize(file) + ":"
                        + source.substring(0, thrown.start()).lines().count());
            }
        }
    }

    /** The text of a concatenation: its string literals as they are, each other operand as {@code …}. */
    private static String message(String expression) {
        StringBuilder text = new StringBuilder();
        for (String operand : splitTopLevel(expression, '+')) {
            Matcher literal = STRING.matcher(operand.strip());
            if (literal.matches()) {
                text.append(literal.group(1).replace("\\\"", "\"").replace("\\\\", "\\"));
            } else if (text.isEmpty() || text.charAt(text.length() - 1) != '…') {
                text.append('…');
            }
        }
        return text.toString();
    }

    /** Where the parenthesis opened just before {@code from} closes. */
    private static int closing(String source, int from) {
        int depth = 1;
        boolean inString = false;
        for (int i = from; ; i++) {
            char c = source.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']' || c == '}') && --depth == 0) {
                return i;
            }
        }
    }

    /** {@code text} split at {@code separator} outside strings, parentheses, brackets and braces. */
    private static List<String> splitTopLevel(String text, char separator) {
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        int depth = 0;
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\') {
                    part.append(c);
                    c = text.charAt(++i);
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == separator && depth == 0) {
                parts.add(part.toString());
                part.setLength(0);
                continue;
            }
            part.append(c);
        }
        parts.add(part.toString());
        return parts;
    }
}
