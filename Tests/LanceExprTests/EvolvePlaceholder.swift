// Keeps the LanceExprTests target (declared in Package.swift by branch `filter`) buildable
// on branch `evolve` until the filter tests are merged.
