SELECT product_id, category, sum(quantity) AS units, sum(amount) AS revenue
FROM {database}.{table}
GROUP BY product_id, category
ORDER BY revenue DESC
LIMIT 10
