/* placeholder for the wp-emoji script */
