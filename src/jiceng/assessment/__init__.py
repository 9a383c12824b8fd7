"""考核: schemes, ratings, computation, grades, ranks and the rules applied to published results."""
