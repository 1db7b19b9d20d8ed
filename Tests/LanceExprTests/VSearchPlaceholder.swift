// Keeps the LanceExprTests target buildable until the filter branch commits its tests.
import Testing
